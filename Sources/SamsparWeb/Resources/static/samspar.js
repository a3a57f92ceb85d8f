// Samspår's one progressive enhancement: while a personnummer is typed, ask the server's own
// rule whether it is valid (the same check as on submit; the form works without this).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[data-check]").forEach(function (input) {
    var out = document.getElementById(input.id + "-check");
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var value = input.value.trim();
      if (value.length < 10) { out.textContent = ""; return; }
      timer = setTimeout(function () {
        fetch(input.dataset.check + "?personnummer=" + encodeURIComponent(value), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (answer) { out.textContent = answer.message; out.className = answer.valid ? "check ok" : "check error"; })
          .catch(function () { out.textContent = ""; });
      }, 300);
    });
  });
});
