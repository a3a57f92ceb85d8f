#!/usr/bin/env python3
"""Real scanners against the demo, signed in as each role (issue 21, part 2); run by scripts/scan,
which installs the scanners first. Usage: scan.py SAMSPAR_BINARY SCANNER_BIN_DIR

Phases, one after the other so that no scanner's load blurs another's timing:
  1. sqlmap on the parameterised pages and API reads each role uses (--level 2 --risk 1);
  2. wapiti crawling the pages as each role, plus the API from its OpenAPI document;
  3. slowhttptest: slowloris, slow body, slow read, 60 s each, /health probed every 250 ms.
Throughout, the server's request log is kept: any 5xx answer fails the scan. Reports in
screenshots/scan/. Only the Python standard library is used here."""

import concurrent.futures
import datetime
import glob
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORTS = os.path.join(ROOT, "screenshots", "scan")
PASSWORD = "demo-samspar-2026"
SESSION_COOKIE = "samspar_session"
ROLES = [  # the order of the scans; the coordinator last, as its forms change the agreement others read
    ("caseworker", "handlaggare@haninge.example"),
    ("analyst", "analytiker@haninge.example"),
    ("auditor", "granskare@haninge.example"),
    ("admin", "admin@haninge.example"),
    ("coordinator", "samordnare@haninge.example"),
]
AGREEMENT = "ostra-sodertorn"
QUICK = os.environ.get("SCAN_QUICK") == "1"


def seconds(name, normal, quick):
    return float(os.environ.get(name, quick if QUICK else normal))


# Budgets (seconds). The whole scan stays under about 12 minutes on two cores.
SQLMAP_LIMIT = seconds("SCAN_SQLMAP_LIMIT", 300, 60)          # per target, a hard stop (then: incomplete)
WAPITI_CRAWL = seconds("SCAN_WAPITI_CRAWL", 25, 8)            # wapiti --max-scan-time (the crawl)
WAPITI_FORMS_ATTACK = seconds("SCAN_WAPITI_FORMS_ATTACK", 40, 3)  # --max-attack-time (each module) on the forms
WAPITI_LINKS_ATTACK = seconds("SCAN_WAPITI_LINKS_ATTACK", 20, 3)  # the same on the addresses' parameters
WAPITI_SLOW_ATTACK = seconds("SCAN_WAPITI_SLOW_ATTACK", 10, 3)    # exec and file, on both
WAPITI_API_ATTACK = seconds("SCAN_WAPITI_API_ATTACK", 6, 2)       # each module on the role's API
WAPITI_LIMIT = seconds("SCAN_WAPITI_LIMIT", 400, 120)          # per role, a hard stop (then: incomplete)
WAPITI_PARALLEL = int(os.environ.get("SCAN_WAPITI_PARALLEL", "3"))  # each waits on its requests: 2 cores are not full
# The demo's caseload. Its default, 2,000 people, makes the caseworker's home page and participant
# list take about 0.4 s each in a debug build, and a scanner sends each of them hundreds of times;
# 300 people take 0.04-0.07 s, so the same minutes attack ten times as many parameters. The code
# paths are the same. SCAN_PARTICIPANTS=2000 scans the demo as `samspar demo` makes it.
PARTICIPANTS = int(seconds("SCAN_PARTICIPANTS", 300, 300))
SLOW_SECONDS = int(seconds("SCAN_SLOW_SECONDS", 60, 10))
SLOW_CONNECTIONS = int(seconds("SCAN_SLOW_CONNECTIONS", 300, 100))
PROBE_EVERY = 0.25
MAX_HEALTH_SECONDS = 1.0

WAPITI_MODULES = "sql,xss,permanentxss,crlf,redirect"   # injections and XSS
WAPITI_SLOW_MODULES = "exec,file"                        # some 70 requests per parameter each
# wapiti's "-NAME:METHOD" leaves a module's GET (or POST) requests out.
FORMS_ONLY = WAPITI_MODULES + ",-sql:get,-xss:get,-crlf:get,-redirect:get"
LINKS_ONLY = WAPITI_MODULES + ",-sql:post,-xss:post,-crlf:post,-redirect:post"

failures = []   # what makes the scan fail, one line each
notes = []      # what the summary says besides


def fail(text):
    failures.append(text)
    print(f"scan: FAIL: {text}", file=sys.stderr, flush=True)


def log(text):
    print(f"scan: {text}", file=sys.stderr, flush=True)


# MARK: HTTP


class Server:
    def __init__(self, binary, work):
        self.binary, self.work = binary, work
        self.db = f"sqlite://{work}/demo.sqlite"
        self.proc = None
        self.url = None
        self.port = None
        self.log_path = os.path.join(work, "serve.log")

    def start(self):
        with open(os.path.join(self.work, "demo.log"), "w") as out:
            subprocess.run([self.binary, "demo", "--db", self.db, "--participants", str(PARTICIPANTS)],
                           stdout=out, stderr=subprocess.STDOUT, check=True)
        out_path = os.path.join(self.work, "serve.out")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--db", self.db, "--host", "127.0.0.1", "--port", "0"],
            stdout=open(out_path, "w"), stderr=open(self.log_path, "w"))
        # The port: the last ":NUMBER" of the first line that mentions "listening".
        for _ in range(300):
            with open(out_path) as f:
                line = next((l for l in f if "listening" in l.lower()), None)
            if line and re.findall(r":(\d+)", line):
                self.port = int(re.findall(r":(\d+)", line)[-1])
                break
            if self.proc.poll() is not None:
                raise SystemExit(f"scan: samspar serve exited: {open(out_path).read()} {open(self.log_path).read()}")
            time.sleep(0.1)
        if not self.port:
            raise SystemExit("scan: samspar serve printed no port")
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            if probe_health(self.port, 2)[1] == 200:
                break
            time.sleep(0.1)
        else:
            raise SystemExit(f"scan: {self.url}/health never answered 200")
        log(f"samspar serve on {self.url} (pid {self.proc.pid})")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def rss_mb(self):
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def statuses(self):
        """(status, method, route) of every request the server logged so far."""
        found = []
        with open(self.log_path, errors="replace") as f:
            for line in f:
                m = re.search(r"method=(\S+).* route=(\S+) status=(\d+)", line)
                if m:
                    found.append((int(m.group(3)), m.group(1), m.group(2)))
        return found


def request(port, method, path, body=None, headers=None, timeout=30):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def probe_health(port, timeout=5.0):
    """(seconds, status or None, error or None) of one GET /health on a new connection."""
    start = time.monotonic()
    try:
        status, _, _ = request(port, "GET", "/health", timeout=timeout)
        return time.monotonic() - start, status, None
    except Exception as error:  # a timeout, a refusal, a reset: the server not answering
        return time.monotonic() - start, None, f"{type(error).__name__}: {error}"


class Session:
    def __init__(self, role, email, cookie, csrf):
        self.role, self.email, self.cookie, self.csrf = role, email, cookie, csrf

    @property
    def cookie_pair(self):
        return f"{SESSION_COOKIE}={self.cookie}"

    def headers(self):
        return {"Cookie": self.cookie_pair, "X-CSRF-Token": self.csrf}


def sign_in(port, role, email):
    status, headers, body = request(port, "POST", "/api/v1/session",
                                    json.dumps({"email": email, "password": PASSWORD}),
                                    {"Content-Type": "application/json"})
    cookie = None
    for line in headers.get_all("Set-Cookie") or []:
        name, _, rest = line.partition("=")
        if name.strip() == SESSION_COOKIE:
            cookie = rest.split(";", 1)[0]
    if status != 200 or not cookie:
        raise SystemExit(f"scan: sign-in as {email} gave {status}")
    return Session(role, email, cookie, json.loads(body)["csrfToken"])


def session_alive(port, session):
    try:
        return request(port, "GET", "/api/v1/session", headers=session.headers())[0] == 200
    except Exception:
        return False


def get_json(port, session, path):
    status, _, body = request(port, "GET", path, headers=session.headers())
    return json.loads(body) if status == 200 else None


# MARK: the OpenAPI document, made readable for wapiti


def flattened_openapi(document, values, only=None):
    """The OpenAPI document as wapiti 3.2.3's parser can use it: its parser does not resolve
    `#/components/parameters` references (path parameters stay `{id}`) and turns nullable
    types (["string", "null"]) into "<['string', 'null']>". So the references are inlined,
    header parameters dropped (Idempotency-Key would make every attack a replay), each
    parameter's and body property's `default` set to a real demo value (wapiti fills in
    defaults), a body schema with `examples` keeps the example's properties (valid except for
    the attacked one), and the sign-in, sign-out and account-locking operations are left out
    (the scan would lock itself out). `only`: a pattern of the paths to keep."""
    doc = json.loads(json.dumps(document))
    components = doc.get("components", {})
    shared = components.get("parameters", {})
    skip = re.compile(r"^/api/v1/(session|users/\{[^}]+\}/(disable|enable|password))$")

    def resolve(parameter):
        if "$ref" in parameter:
            parameter = json.loads(json.dumps(shared.get(parameter["$ref"].split("/")[-1], {})))
        return parameter

    def fix_schema(schema):
        if not isinstance(schema, dict):
            return schema
        kind = schema.get("type")
        if isinstance(kind, list):
            schema["type"] = next((k for k in kind if k != "null"), "string")
        for key in ("properties",):
            for name, sub in list(schema.get(key, {}).items()):
                schema[key][name] = fix_schema(sub)
        if isinstance(schema.get("items"), dict):
            schema["items"] = fix_schema(schema["items"])
        for key in ("oneOf", "anyOf"):
            if schema.get(key):  # the first that is not null
                first = next((s for s in schema[key] if s.get("type") != "null"), schema[key][0])
                schema.pop(key)
                schema.update(fix_schema(first))
        examples = schema.get("examples")
        if schema.get("type") not in ("object", "array") and isinstance(examples, list) and examples \
                and "default" not in schema and not isinstance(examples[0], (dict, list)):
            schema["default"] = examples[0]
        if schema.get("type") == "object" and isinstance(examples, list) and examples and isinstance(examples[0], dict):
            example = examples[0]
            schema["properties"] = {name: sub for name, sub in schema.get("properties", {}).items() if name in example}
            for name, sub in schema["properties"].items():
                if isinstance(sub, dict) and not isinstance(example[name], (dict, list)):
                    sub["default"] = example[name]
        return schema

    for name, schema in components.get("schemas", {}).items():
        components["schemas"][name] = fix_schema(schema)

    paths = {}
    for path, item in doc.get("paths", {}).items():
        if skip.match(path) or (only and not re.match(only, path)):
            continue
        common = [resolve(p) for p in item.get("parameters", [])]
        new_item = {}
        for method, operation in item.items():
            if method not in ("get", "post", "put", "delete", "patch"):
                continue
            parameters = []
            for p in common + [resolve(p) for p in operation.get("parameters", [])]:
                if p.get("in") not in ("path", "query"):
                    continue
                p = json.loads(json.dumps(p))
                p["schema"] = fix_schema(p.get("schema", {"type": "string"}))
                value = values.get(p["name"], p.get("example", p["schema"].get("example")))
                if value is not None:
                    p["schema"]["default"] = value
                parameters.append(p)
            operation["parameters"] = parameters
            new_item[method] = operation
        paths[path] = new_item
    doc["paths"] = paths
    return doc


# MARK: sqlmap


def sqlmap_targets(port, sessions, person, today):
    """The parameterised reads each role uses: (name, session, url, the parameters to test).
    The participant list is the slowest page (0.05-0.1 s with 300 people, 0.4 s with 2,000), so
    its parameters are spread over processes that run at once."""
    base = f"http://127.0.0.1:{port}"
    year = today[:4]
    q = urllib.parse.urlencode
    participants = f"{base}/deltagare?" + q({"q": "Amina", "kommun": "0136", "sortera": "namn"})
    return [
        ("deltagare-q", sessions["caseworker"], participants, "q"),
        ("deltagare-kommun", sessions["caseworker"], participants, "kommun"),
        ("deltagare-sortera", sessions["caseworker"], participants, "sortera"),
        ("deltagare-filters", sessions["caseworker"],
         f"{base}/deltagare?" + q({"spar": "barn", "malgrupp": "A", "status": "", "behover": "1", "sida": "1"}),
         "spar,malgrupp,status,sida"),
        ("kontrollera", sessions["caseworker"], f"{base}/deltagare/kontrollera?" + q({"personnummer": person}),
         "personnummer"),
        ("api-participants", sessions["caseworker"],
         f"{base}/api/v1/participants?" + q({"personId": person, "name": "Amina", "limit": "10", "offset": "0"}),
         "personId,name,limit,offset"),
        ("granskning", sessions["auditor"],
         f"{base}/granskning?" + q({"person": person, "vem": "handlaggare@haninge.example", "handling": "read",
                                    "fran": f"{year}-01-01", "till": today}),
         "person,vem,handling,fran,till"),
        ("api-audit", sessions["auditor"],
         f"{base}/api/v1/audit?" + q({"personId": person, "actor": "handlaggare@haninge.example", "action": "read",
                                      "organisation": "212000-0084", "after": "0", "limit": "10"}),
         "personId,actor,action,organisation,after,limit"),
        ("konton", sessions["admin"], f"{base}/konton?" + q({"q": "haninge", "sida": "1"}), "q,sida"),
        ("personer", sessions["analyst"],
         f"{base}/avtal/{AGREEMENT}/uppfoljning/personer?" + q({"figur": "population", "ar": year, "per": today, "sida": "1"}),
         "figur,ar,per,sida"),
        ("uppfoljning", sessions["coordinator"],
         f"{base}/avtal/{AGREEMENT}/uppfoljning?" + q({"ar": year, "per": today}), "ar,per"),
        ("api-report", sessions["coordinator"],
         f"{base}/api/v1/agreements/{AGREEMENT}/report?" + q({"year": year, "asOf": today}), "year,asOf"),
    ]


def run_sqlmap(tools, work, name, session, url, parameters):
    targets = os.path.join(work, f"sqlmap-{name}.txt")
    with open(targets, "w") as f:
        f.write(url + "\n")  # a list of one (-m), so that --results-file is written
    csv_path = os.path.join(REPORTS, f"sqlmap-{name}.csv")
    log_path = os.path.join(REPORTS, f"sqlmap-{name}.log")
    command = [
        os.path.join(tools, "sqlmap"), "-m", targets, "-p", parameters, "--batch", "--level", "2", "--risk", "1",
        # The demo's database is SQLite: the other engines' payloads are left out (a fifth of the requests).
        "--dbms", "SQLite",
        "--cookie", session.cookie_pair, "-H", f"X-CSRF-Token: {session.csrf}", "--drop-set-cookie",
        "--time-sec", "2", "--threads", "4", "--timeout", "30", "--retries", "1",
        "--output-dir", os.path.join(work, f"sqlmap-{name}"), "--results-file", csv_path,
        "--flush-session", "--disable-coloring",
    ]
    start = time.monotonic()
    with open(log_path, "w") as out:
        out.write("$ " + " ".join(command).replace(session.cookie, "…").replace(session.csrf, "…") + "\n\n")
        out.flush()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, start, log_path, csv_path


def judge_sqlmap(name, role, url, parameters, proc, start, log_path, csv_path):
    try:
        proc.wait(max(1, SQLMAP_LIMIT - (time.monotonic() - start)))
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        timed_out = True
    took = time.monotonic() - start
    text = open(log_path, errors="replace").read()
    result = {"name": name, "role": role, "url": url, "parameters": parameters.split(","), "seconds": round(took),
              "findings": [], "hints": [], "errors": ""}
    if timed_out:
        fail(f"sqlmap {name} ({role}) did not finish within {SQLMAP_LIMIT:.0f} s (see {os.path.relpath(log_path, ROOT)})")
    elif proc.returncode != 0:
        fail(f"sqlmap {name} ({role}) exited {proc.returncode} (see {os.path.relpath(log_path, ROOT)})")
    if "identified the following injection point" in text:
        result["findings"].append("sqlmap identified an injection point")
    if os.path.exists(csv_path):
        rows = [l for l in open(csv_path).read().splitlines()[1:] if l.strip()]
        result["findings"] += [f"results file: {row}" for row in rows]
    for m in re.finditer(r"heuristic \((XSS|FI)\) test shows that (.*?) might be vulnerable[^\n]*", text):
        result["findings"].append(f"{m.group(1)} heuristic: {m.group(2)}")
    for m in re.finditer(r"heuristic \(basic\) test shows that (.*?) might be injectable[^\n]*", text):
        result["hints"].append(m.group(1))
    result["not_injectable"] = sorted({m for m in re.findall(r"parameter '([^']+)' does not seem to be injectable", text)})
    result["requests"] = None
    m = re.search(r"HTTP error codes detected during run:\n(.*?)(?:\n\S|\Z)", text, re.S)
    if m:
        result["errors"] = " ".join(m.group(1).split())
    for f in result["findings"]:
        fail(f"sqlmap {name} ({role}): {f}")
    untested = [p for p in result["parameters"] if p not in result["not_injectable"]]
    if untested and not result["findings"] and not timed_out:
        fail(f"sqlmap {name} ({role}) did not finish testing {', '.join(untested)} (see {os.path.relpath(log_path, ROOT)})")
    log(f"sqlmap {name} ({role}): {took:.0f} s, {len(result['findings'])} findings")
    return result


# MARK: wapiti

# The API operations each role's work uses (the rest answer it 403: attacking them is wasted time).
API_OF_ROLE = {
    # Not /api/v1/imports/{kind}: its body is a CSV file; wapiti's JSON mutator raises on the
    # string the document's schema gives it (the import page's form is scanned instead).
    "caseworker": r"^/api/v1/(participants(?!/\{personId\}/access-log)|disagreements)",
    "analyst": r"^/api/v1/agreements(/\{id\}(/(report|published|closes|document)(/.*)?)?)?$",
    "auditor": r"^/api/v1/(audit|participants/\{personId\}/access-log)",
    "admin": r"^/api/v1/(users|tokens)",
    "coordinator": r"^/api/v1/(agreements|invitations)",
}
EXCLUDED = [
    "/logga-ut*", "/logga-in*", "/api/v1/session*",       # signing out, and sign-in attempts (5 per account)
    "/konton/anvandare/*/*", "/api/v1/users/*/*",          # the admin would lock the other accounts out
    "*/utkast/ta-bort",                # deleting the coordinator's draft would take the editor's forms away
    "*/dokument.pdf*",                 # Chromium per request; its `version` is the HTML document's, scanned
    "*/export.csv?*", "*/export.xlsx?*",  # the list's filters again, as a file (0.4 s each): the page is scanned
]
# Each family of pages is attacked once, as the role whose work it is (the dashboard, say, by
# the analyst, not by all five): the time goes further. The crawl still starts at each role's home.
ROLE_EXCLUDED = {
    "caseworker": ["/avtal*", "/yrken*"],
    "analyst": ["/deltagare*", "/granskning*"],
    "auditor": ["/avtal*", "/yrken*", "/deltagare?*"],
    "admin": ["/avtal*", "/yrken*", "/deltagare*", "/granskning*"],
    "coordinator": ["/deltagare*", "/yrken*", "/granskning*", "/avtal/*?version=*", "*/jamfor?*", "*/dokument?*",
                    "*/uppfoljning?*", "*/uppfoljning/personer*", "*/uppfoljning/export*"],
}
# The editor's "saved" flag: each of its forms redirects to the editor with another value of it,
# so the 50 ms editor would be attacked once per form. The value is only looked up in a fixed
# table of notices (AgreementEditPage, ParticipantPage); the caseworker's scan still attacks it.
ROLE_SKIPPED = {"coordinator": ["sparat"]}
START_PAGES = {
    "caseworker": ["/deltagare", "/deltagare/{person}", "/deltagare/ny", "/import"],
    "analyst": ["/avtal", f"/avtal/{AGREEMENT}/uppfoljning", "/yrken"],
    "auditor": ["/granskning", "/deltagare"],
    "admin": ["/konton"],
    # The editor exists while a draft does: the scan starts a revision first (main), so that its
    # forms, whose text goes into the agreement's document, are attacked.
    "coordinator": ["/avtal", f"/avtal/{AGREEMENT}", f"/avtal/{AGREEMENT}/redigera", f"/avtal/{AGREEMENT}/dokument",
                    f"/avtal/{AGREEMENT}/uppfoljning", "/avtal/nytt"],
}
CRAWL_DEPTH = 2


def pattern_key(url):
    """What makes two addresses the same page to attack: the path with personnummer and
    numbers as placeholders, and the names (not values) of its query parameters."""
    parts = urllib.parse.urlsplit(url)
    segments = []
    for segment in parts.path.split("/"):
        if re.fullmatch(r"\d{8}-\d{4}", segment):
            segment = "{personnummer}"
        elif segment.isdigit():
            segment = "{n}"
        segments.append(segment)
    names = tuple(sorted({name for name, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)}))
    return "/".join(segments), names


def precrawl(port, session, starts, excluded):
    """The addresses wapiti's crawl (same start pages, same depth) would reach, found with
    wapiti's own HTML parser, and which of them only repeat a page already kept (2,000
    participants, a link per agreement version, per figure): wapiti is told to leave those out
    (-x, exact), so its time goes to distinct pages and their forms. Returns (kept, left out)."""
    from wapitiCore.parsers.html_parser import Html  # wapiti's, so the strings are the ones it compares

    base = f"http://127.0.0.1:{port}"
    fixed = [re.compile("(?ms)" + "".join(".*" if c == "*" else re.escape(c) for c in base + (p if p.startswith("/") else "/" + p)) + r"\Z")
             for p in excluded]
    queue = [(base + "/", 0)] + [(base + s, 0) for s in starts]
    seen, kept, left_out = set(), {}, []
    while queue:
        url, depth = queue.pop(0)
        if url in seen or any(r.match(url) for r in fixed):
            continue
        seen.add(url)
        key = pattern_key(url)
        if key in kept:
            left_out.append(url)
            continue
        kept[key] = url
        if depth >= CRAWL_DEPTH or len(kept) > 400:
            continue
        path = url[len(base):] or "/"
        try:
            # wapiti's Accept-Language, so that the pages (and their language link) are the ones it sees
            status, headers, body = request(port, "GET", path, timeout=60,
                                            headers={"Cookie": session.cookie_pair, "Accept-Language": "en-US"})
        except Exception:
            continue
        links = []
        if 300 <= status < 400 and headers.get("Location"):
            links.append(urllib.parse.urljoin(url, headers["Location"]))
        elif (headers.get("Content-Type") or "").startswith("text/html"):
            html = Html(body.decode("utf-8", "replace"), url)
            links += list(html.links) + list(html.js_redirections) + list(html.html_redirections)
            for extra in html.extra_urls:
                if extra.split("?")[0].endswith(".css"):
                    continue
                links.append(extra.split("?")[0] if extra.split("?")[0].endswith(".js") else extra)
            links += [form.url for form in html.iter_forms() if form.method == "GET"]
        for link in list(links):
            if "?" in link:
                links.append(link.split("?")[0])
        for link in links:
            if link.startswith(base + "/") and link not in seen:
                queue.append((link, depth + 1))
    return list(kept.values()), left_out



def wapiti_command(tools, work, url, session, kind, modules, attack_seconds, report, starts=(), left_out=(),
                   openapi_path=None, excluded=EXCLUDED, skipped=()):
    """kind: "forms" (the pages crawled afresh, their forms attacked), "links" or "slow" (attack
    what "forms" found) or "api"."""
    role = session.role
    command = [
        os.path.join(tools, "wapiti"), "-u", f"{url}/", "--scope", "folder", "-m", modules,
        # Not --drop-set-cookie: in wapiti 3.2.3 it deletes the Cookie header from every request,
        # -C's too (the scan would run signed out).
        "-C", session.cookie_pair, "-H", f"X-CSRF-Token: {session.csrf}",
        "-d", str(0 if kind == "api" else CRAWL_DEPTH), "--tasks", "8",
        "--skip", "_csrf",  # a wrong CSRF token is a 403 before anything else is read (Tests/Hostile)
        "--max-scan-time", str(WAPITI_CRAWL), "--max-attack-time", str(attack_seconds), "-t", "10",
        "--store-session", os.path.join(work, f"wapiti-{role}-{'api' if kind == 'api' else 'pages'}"),
        "--store-config", os.path.join(work, "wapiti-config"),
        "-f", "json", "-dr", "1", "-o", report, "--no-bugreport", "-v", "1",
    ]
    command += ["--skip-crawl"] if kind in ("links", "slow") else ["--flush-session"]
    for parameter in skipped:
        command += ["--skip", parameter]
    if openapi_path:
        command += ["--swagger", openapi_path]
    for path in excluded:
        command += ["-x", url + (path if path.startswith("/") else "/" + path)]
    for address in left_out:
        command += ["-x", address]
    for path in starts:
        command += ["-s", url + path]
    return command


def wapiti_role(tools, work, url, session, document, values, person):
    """Four passes for one role, each module with its own time limit: its pages crawled and
    their forms (whose values are stored and shown again) attacked with the injection and XSS
    modules; then the parameters of the addresses found; then both with exec and file (slow:
    some 70 requests per parameter); then the part of the API the role uses, from the OpenAPI
    document (last, as its writes change the pages: a revision started through the API replaces
    the agreement page's forms). Returns the judged result."""
    role = session.role
    began = time.monotonic()
    starts = [s.replace("{person}", person) for s in START_PAGES[role]]
    excluded = EXCLUDED + ROLE_EXCLUDED[role]
    kept, left_out = precrawl(int(url.rsplit(":", 1)[1]), session, starts, excluded)
    openapi_path = os.path.join(work, f"openapi-{role}.json")
    with open(openapi_path, "w") as f:
        json.dump(flattened_openapi(document, values, API_OF_ROLE[role]), f)
    shutil.copy(openapi_path, os.path.join(REPORTS, f"openapi-{role}.json"))
    with open(os.path.join(REPORTS, f"wapiti-{role}-pages.txt"), "w") as f:
        f.write("# kept (one per page and parameter names)\n" + "\n".join(kept) + "\n# left out (-x)\n" + "\n".join(left_out) + "\n")
    log(f"wapiti as {role}: {len(kept)} distinct pages, {len(left_out)} repeats left out")
    passes = []
    pages = dict(starts=starts, left_out=left_out, excluded=excluded, skipped=ROLE_SKIPPED.get(role, []))
    plan = [
        ("forms", FORMS_ONLY, WAPITI_FORMS_ATTACK, pages),
        ("links", LINKS_ONLY, WAPITI_LINKS_ATTACK, pages),
        ("slow", WAPITI_SLOW_MODULES, WAPITI_SLOW_ATTACK, pages),
        ("api", WAPITI_MODULES + "," + WAPITI_SLOW_MODULES, WAPITI_API_ATTACK, dict(openapi_path=openapi_path)),
    ]
    for kind, modules, attack_seconds, extra in plan:
        report = os.path.join(REPORTS, f"wapiti-{role}-{kind}.json")
        log_path = os.path.join(REPORTS, f"wapiti-{role}-{kind}.log")
        command = wapiti_command(tools, work, url, session, kind, modules, attack_seconds, report, **extra)
        with open(log_path, "w") as out:
            out.write("$ " + " ".join(command).replace(session.cookie, "…").replace(session.csrf, "…") + "\n\n")
            out.flush()
            try:
                proc = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      cwd=work, env=dict(os.environ, HOME=work),
                                      timeout=max(1, WAPITI_LIMIT - (time.monotonic() - began)))
                code = proc.returncode
            except subprocess.TimeoutExpired:
                code = "timeout"
        passes.append((kind, code, log_path, report))
    return judge_wapiti(role, time.monotonic() - began, kept, left_out, passes)


def judge_wapiti(role, took, kept, left_out, passes):
    result = {"role": role, "seconds": round(took), "findings": [], "anomalies": [], "crawled": 0, "forms": 0,
              "kept": len(kept), "left_out": len(left_out), "cut": [], "crawl_cut": False,
              "passes": {}, "api": []}
    findings, anomalies = set(), set()
    for number, code, log_path, report in passes:
        text = open(log_path, errors="replace").read()
        api = number == "api"
        result["cut"] += [f"{number} {m}" for m in re.findall(r"Max attack time was reached for module (\w+)", text)]
        attacked = result["passes"].setdefault(number, {})
        result["crawl_cut"] |= "Max scan time was reached" in text
        # What each module attacked: the "[+] METHOD URL (depth)" lines after its "Launching module".
        module = None
        for line in text.splitlines():
            m = re.match(r"\[\*\] Launching module (\w+)", line)
            if m:
                module = m.group(1)
                attacked[module] = []
            elif module and re.match(r"\[\+\] (GET|POST|PUT|DELETE|PATCH) ", line):
                attacked[module].append(line[4:].rsplit(" (", 1)[0])
        if code == "timeout":
            fail(f"wapiti as {role} (pass {number}) did not finish within {WAPITI_LIMIT:.0f} s")
        elif code != 0 or not os.path.exists(report):
            fail(f"wapiti as {role} (pass {number}) exited {code} without a report (see {os.path.relpath(log_path, ROOT)})")
        for crash in re.findall(r"\n(\w+Error: [^\n]*)", text):
            notes.append(f"wapiti as {role} (pass {number}): a module raised {crash}")
        if not os.path.exists(report):
            continue
        data = json.load(open(report))
        infos = data.get("infos", {})
        if api:
            result["api"] = sorted({f"{p['request'].get('method')} {urllib.parse.urlsplit(p['request'].get('url', '')).path}"
                                    for p in infos.get("crawled_pages", []) if "request" in p})
        elif number == "forms":
            result["crawled"] = infos.get("crawled_pages_nbr", 0)
            pages = infos.get("crawled_pages", [])
            result["forms"] = sum(1 for p in pages if p.get("request", {}).get("method", "GET") != "GET")
            result["pages"] = sorted({urllib.parse.urlsplit(p.get("request", {}).get("url", "")).path for p in pages})
        for category, items in (data.get("vulnerabilities") or {}).items():
            for item in items:
                findings.add(f"{category}: {item.get('method')} {item.get('path')} "
                             f"parameter {item.get('parameter')!r}: {item.get('info')} [{item.get('curl_command', '')}]")
        for category, items in (data.get("anomalies") or {}).items():
            for item in items:
                anomalies.add(f"{category}: {item.get('method')} {item.get('path')} parameter "
                              f"{item.get('parameter')!r}: {item.get('info')}")
    result["findings"], result["anomalies"] = sorted(findings), sorted(anomalies)
    for line in result["findings"]:
        fail(f"wapiti as {role}: {line}")
    for line in result["anomalies"]:
        if line.startswith("Internal Server Error"):
            fail(f"wapiti as {role}: {line}")
    log(f"wapiti as {role}: {took:.0f} s, {result['crawled']} requests crawled, {len(result['findings'])} findings")
    return result


# MARK: slow tests


class Probe:
    """GETs /health every PROBE_EVERY seconds, and samples the server's memory, until stopped."""

    def __init__(self, server):
        self.server = server
        self.samples = []  # (at, seconds, status, error)
        self.max_rss = 0.0
        self._stop = threading.Event()

    def _run(self):
        next_at = time.monotonic()
        start = next_at
        while not self._stop.is_set():
            took, status, error = probe_health(self.server.port, timeout=5.0)
            self.samples.append((time.monotonic() - start, took, status, error))
            self.max_rss = max(self.max_rss, self.server.rss_mb())
            next_at += PROBE_EVERY
            delay = next_at - time.monotonic()
            if delay < 0:
                next_at = time.monotonic()
            elif self._stop.wait(delay):
                return

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join(10)
        return False


def slow_test(server, name, flag, path, extra, session):
    prefix = os.path.join(REPORTS, f"slow-{name}")
    command = ["slowhttptest", flag, "-c", str(SLOW_CONNECTIONS), "-r", "100", "-l", str(SLOW_SECONDS),
               "-u", f"{server.url}{path}", "-p", "3", "-g", "-o", prefix] + extra
    if session is not None:
        command += ["-j", session.cookie_pair]
    shown = command[:-2] + ["-j", "samspar_session=…"] if session is not None else command
    log(f"slowhttptest {name}: {' '.join(shown)}")
    with Probe(server) as probe:
        with open(prefix + ".log", "w") as out:
            proc = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  timeout=SLOW_SECONDS + 60)
    samples = probe.samples
    slow = [s for s in samples if s[2] != 200 or s[1] > MAX_HEALTH_SECONDS]
    slowest = max(samples, key=lambda s: s[1]) if samples else (0, 0, None, None)
    connected = 0
    try:
        with open(prefix + ".csv") as f:
            for row in f.read().splitlines()[1:]:
                cells = row.split(",")
                if len(cells) >= 4 and cells[3].strip().isdigit():
                    connected = max(connected, int(cells[3]))
    except OSError:
        pass
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", open(prefix + ".log", errors="replace").read())  # its colours
    available = re.findall(r"service available:\s*(\w+)", text, re.I)
    result = {"name": name, "flag": flag, "path": path, "probes": len(samples), "slowest": slowest[1],
              "median": sorted(s[1] for s in samples)[len(samples) // 2] if samples else 0,
              "bad": len(slow), "max_connected": connected, "max_rss": probe.max_rss,
              "exit": proc.returncode, "slowhttptest_available": available[-1] if available else "?",
              "alive": server.alive()}
    if proc.returncode != 0:
        fail(f"slowhttptest {name} exited {proc.returncode} (see {os.path.relpath(prefix, ROOT)}.log)")
    if slow:
        worst = max(slow, key=lambda s: s[1])
        fail(f"slowhttptest {name}: {len(slow)} of {len(samples)} /health probes not 200 within "
             f"{MAX_HEALTH_SECONDS} s (worst {worst[1]:.2f} s, {worst[2] or worst[3]}, {worst[0]:.1f} s in)")
    if not server.alive():
        fail(f"the server died during slowhttptest {name}")
    log(f"slowhttptest {name}: slowest /health {slowest[1]:.3f} s of {len(samples)}, "
        f"{connected} connections at most, max RSS {probe.max_rss:.0f} MB")
    return result


# MARK: the run


def version_of(tools, name):
    out = subprocess.run([os.path.join(tools, "python"), "-m", "pip", "show", name], capture_output=True, text=True).stdout
    m = re.search(r"^Version: (.+)$", out, re.M)
    return m.group(1) if m else "?"


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    binary, tools = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(REPORTS, exist_ok=True)
    for old in glob.glob(os.path.join(REPORTS, "*")):
        if os.path.isfile(old):
            os.remove(old)
    work = tempfile.mkdtemp(prefix="samspar-scan.")
    server = Server(binary, work)
    began = time.monotonic()
    phases = []  # (phase, how many requests the server had logged at its end)
    summary = {"versions": {
        "wapiti3": version_of(tools, "wapiti3"), "sqlmap": version_of(tools, "sqlmap"),
        "slowhttptest": (subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "slowhttptest"],
                                        capture_output=True, text=True).stdout or "?"),
    }, "binary": binary, "participants": PARTICIPANTS, "sqlmap": [], "wapiti": [], "slow": []}
    try:
        server.start()
        port = server.port
        sessions = {role: sign_in(port, role, email) for role, email in ROLES}
        today = datetime.date.today().isoformat()
        summary["today"] = today
        page = get_json(port, sessions["caseworker"], "/api/v1/participants?limit=1") or {}
        items = page.get("items") or []
        person = (items[0].get("personId") if items else None) or "19560087-2385"
        consents = get_json(port, sessions["caseworker"], f"/api/v1/participants/{person}/consents") or {}
        consent = next(iter(consents.get("items") or []), {}).get("id", 1)
        closes = get_json(port, sessions["coordinator"], f"/api/v1/agreements/{AGREEMENT}/closes") or {}
        quarter = max((c.get("quarter", "") for c in closes.get("items") or []), default="") or f"{today[:4]}-Q1"
        summary["person"] = person
        phases.append(("setup", len(server.statuses())))

        # 1. sqlmap: every target at once (each process mostly waits on its own requests).
        sqlmap_began = time.monotonic()
        running = []
        for name, session, url, parameters in sqlmap_targets(port, sessions, person, today):
            log(f"sqlmap {name} as {session.role}: {parameters}")
            running.append((name, session.role, url, parameters) + run_sqlmap(tools, work, name, session, url, parameters))
        for entry in running:
            summary["sqlmap"].append(judge_sqlmap(*entry))
        summary["sqlmap_seconds"] = round(time.monotonic() - sqlmap_began)
        phases.append(("sqlmap", len(server.statuses())))
        if not server.alive():
            raise RuntimeError("the server died during sqlmap")

        # 2. wapiti: WAPITI_PARALLEL roles at a time. First a revision of the agreement, so that
        # the coordinator's crawl finds the editor (its forms exist while a draft does).
        coordinator = sessions["coordinator"]
        status, _, body = request(port, "POST", f"/api/v1/agreements/{AGREEMENT}/revisions", "{}",
                                  dict(coordinator.headers(), **{"Content-Type": "application/json"}))
        summary["revision"] = status
        if status != 201:
            notes.append(f"starting a revision of {AGREEMENT} answered {status} ({body[:200]!r}): "
                         "the coordinator's editor forms may be missing from the scan")
        document = json.loads(request(port, "GET", "/api/v1/openapi.json")[2])
        values = {"id": AGREEMENT, "personId": person, "consentId": consent, "publicationId": 1,
                  "tokenId": 1, "kind": "participants", "quarter": quarter, "year": int(today[:4]),
                  "asOf": today, "version": 1, "limit": 10, "offset": 0, "after": 0, "name": "Amina",
                  "actor": "handlaggare@haninge.example", "action": "read", "organisation": "212000-0084"}
        wapiti_began = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(WAPITI_PARALLEL) as pool:
            futures = [pool.submit(wapiti_role, tools, work, server.url, sessions[role], document, values, person)
                       for role, _ in ROLES]
            summary["wapiti"] = [f.result() for f in futures]
        summary["wapiti_seconds"] = round(time.monotonic() - wapiti_began)
        phases.append(("wapiti", len(server.statuses())))
        if not server.alive():
            raise RuntimeError("the server died during wapiti")
        summary["sessions_alive"] = {role: session_alive(port, s) for role, s in sessions.items()}
        for role, ok in summary["sessions_alive"].items():
            if not ok:
                fail(f"the {role}'s session was gone after the scans (GET /api/v1/session not 200): "
                     "its scan may have run signed out")

        # 3. slowhttptest, with a fresh caseworker session for the slow body (a page form).
        body_session = sign_in(port, "caseworker", "handlaggare@haninge.example")
        time.sleep(2)
        summary["slow"].append(slow_test(server, "headers", "-H", "/", ["-i", "10", "-x", "24", "-t", "GET"], None))
        time.sleep(3)
        summary["slow"].append(slow_test(server, "body", "-B", "/deltagare/ny",
                                         ["-i", "10", "-x", "10", "-s", "8192", "-t", "POST"], body_session))
        time.sleep(3)
        summary["slow"].append(slow_test(server, "read", "-X", "/api/v1/openapi.json",
                                         ["-k", "3", "-n", "2", "-w", "32", "-y", "64", "-z", "32"], None))
        time.sleep(1)
        phases.append(("slowhttptest", len(server.statuses())))
        took, status, error = probe_health(port, 5)
        summary["health_after"] = (round(took, 3), status, error)
        if status != 200:
            fail(f"/health after the slow tests: {status or error}")
    except Exception as error:
        fail(f"the scan stopped: {type(error).__name__}: {error}")
    finally:
        alive = server.alive()
        if server.proc is not None and not alive:
            fail(f"the server died (exit {server.proc.returncode})")
        server.stop()
        if server.proc is not None:
            statuses = server.statuses()
            summary["requests"] = len(statuses)
            errors = {}
            for status, method, route in statuses:
                if status >= 500:
                    errors[f"{status} {method} {route}"] = errors.get(f"{status} {method} {route}", 0) + 1
            summary["5xx"] = errors
            for what, count in sorted(errors.items()):
                fail(f"the server answered {what} ({count}×; see screenshots/scan/serve.log)")
            shutil.copy(server.log_path, os.path.join(REPORTS, "serve.log"))
            # The answers of each phase: a scanner that was not signed in would see 401s.
            summary["phases"] = {}
            begin = 0
            for phase, end in phases:
                counts = {}
                for status, _, _ in statuses[begin:end]:
                    counts[status] = counts.get(status, 0) + 1
                summary["phases"][phase] = dict(sorted(counts.items()))
                unauthenticated = counts.get(401, 0)
                if phase in ("sqlmap", "wapiti") and unauthenticated > 0.01 * max(1, end - begin):
                    fail(f"{unauthenticated} of {end - begin} requests during {phase} answered 401: was it signed in?")
                begin = end
        summary["seconds"] = round(time.monotonic() - began)
        summary["failures"] = failures
        summary["notes"] = notes
        with open(os.path.join(REPORTS, "summary.json"), "w") as f:
            json.dump(summary, f, indent=1, default=str)
        with open(os.path.join(REPORTS, "summary.md"), "w") as f:
            f.write(markdown(summary))
        shutil.rmtree(work, ignore_errors=True)
    print(open(os.path.join(REPORTS, "summary.md")).read())
    if failures:
        print(f"scan: {len(failures)} problem(s); reports in screenshots/scan/", file=sys.stderr)
        sys.exit(1)
    print("scan: no finding; reports in screenshots/scan/", file=sys.stderr)


def markdown(s):
    lines = [f"# Scan of samspar ({s.get('today', '?')}, {s.get('seconds', '?')} s)", ""]
    v = s["versions"]
    lines += [f"`samspar demo --participants {s.get('participants')}`, signed in as the five Haninge demo roles. "
              f"wapiti3 {v['wapiti3']}, sqlmap {v['sqlmap']}, slowhttptest {v['slowhttptest']}; "
              f"{s.get('requests', '?')} requests logged by the server. Answers per phase: "
              + "; ".join(f"{phase}: " + ", ".join(f"{n}× {code}" for code, n in counts.items())
                          for phase, counts in (s.get("phases") or {}).items()), ""]
    lines += [f"## sqlmap ({s.get('sqlmap_seconds', '?')} s; --level 2 --risk 1 --dbms SQLite --time-sec 2, "
              "cookie and X-CSRF-Token)", ""]
    for r in s["sqlmap"]:
        parts = urllib.parse.urlsplit(r["url"])
        lines.append(f"- **{r['name']}** as {r['role']} ({r['seconds']} s): `{parts.path}?{parts.query}`, "
                     f"tested {', '.join(f'`{p}`' for p in r['parameters'])}: "
                     + ("; ".join(r["findings"]) if r["findings"] else
                        f"not injectable ({len(r['not_injectable'])} of {len(r['parameters'])} reported so)"))
        if r["hints"]:
            lines.append("  - heuristic hints (not confirmed): " + "; ".join(r["hints"]))
        if r["errors"]:
            lines.append("  - HTTP errors seen: " + r["errors"])
    lines += ["", f"## wapiti ({s.get('wapiti_seconds', '?')} s, {WAPITI_PARALLEL} roles at a time)", "",
              f"Per role: the pages crawled (depth {CRAWL_DEPTH}, ≤ {WAPITI_CRAWL:.0f} s), their forms attacked "
              f"with {WAPITI_MODULES} (each module ≤ {WAPITI_FORMS_ATTACK:.0f} s), then the addresses' parameters "
              f"(≤ {WAPITI_LINKS_ATTACK:.0f} s each), then both with {WAPITI_SLOW_MODULES} (≤ "
              f"{WAPITI_SLOW_ATTACK:.0f} s each); then the role's part of the API from the OpenAPI document, all "
              f"seven modules (≤ {WAPITI_API_ATTACK:.0f} s each). A count is of the requests a module took up "
              "(those without parameters included); \"time limit\": it stopped before the end of its list.", ""]
    for r in s["wapiti"]:
        lines.append(f"- **{r['role']}** ({r['seconds']} s; {r['kept']} distinct pages found first, {r['left_out']} "
                     f"repeats of them left out; {r['crawled']} requests crawled, {r['forms']} of them "
                     f"forms or API writes{', the crawl cut by its time limit' if r['crawl_cut'] else ''}): "
                     + ("; ".join(r["findings"]) if r["findings"] else "no vulnerability"))
        for kind, modules in r.get("passes", {}).items():
            what = {"forms": "forms (POST)", "links": "addresses (GET)", "slow": "forms and addresses",
                    "api": f"API ({len([a for a in r['api'] if '/api/' in a])} operations)"}[kind]
            lines.append(f"  - {what}, requests each module attacked: " + ", ".join(
                f"{name} {len(items)}{' (time limit)' if f'{kind} {name}' in r['cut'] else ''}"
                for name, items in modules.items()))
        if r["anomalies"]:
            lines.append("  - anomalies: " + "; ".join(r["anomalies"][:10]))
        if r.get("pages"):
            lines.append("  - paths crawled: " + ", ".join(f"`{p}`" for p in r["pages"][:80]))
        if r.get("api"):
            lines.append("  - API operations: " + ", ".join(f"`{p}`" for p in r["api"] if "/api/" in p))
    lines += ["", f"## slowhttptest ({SLOW_CONNECTIONS} connections, {SLOW_SECONDS} s each; /health every "
              f"{PROBE_EVERY} s, new connection, 5 s timeout)", "",
              "| test | target | /health probes | slowest | median | over 1 s or failed | most connections held | max RSS | server up |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in s["slow"]:
        lines.append(f"| {r['name']} ({r['flag']}) | `{r['path']}` | {r['probes']} | {r['slowest']:.3f} s | "
                     f"{r['median']:.3f} s | {r['bad']} | {r['max_connected']} | {r['max_rss']:.0f} MB | "
                     f"{'yes' if r['alive'] else 'NO'} |")
    lines += ["", "## 5xx answers in the server's log", ""]
    lines.append("none" if not s.get("5xx") else "; ".join(f"{k}: {n}×" for k, n in s["5xx"].items()))
    if s["notes"]:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in s["notes"]]
    lines += ["", "## Verdict", ""]
    lines += [f"- FAIL: {f}" for f in s["failures"]] or ["pass: no injection, no XSS, no 5xx, /health within 1 s, the server up"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
