// runsql DB FILE: runs FILE's statements, one per line, on sqlite-nio's SQLite (3.54.1, its
// compile options); a line "-- label" starts a part; prints each part's seconds.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "sqlite_nio_sqlite3.h"
#define S(x) sqlite_nio_sqlite3_##x
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  sqlite3 *db; if (S(open)(argv[1], &db)) return 1;
  FILE *f = fopen(argv[2], "r"); static char line[1 << 16]; char label[64] = "start"; double t0 = now(), all = now();
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    if (!strncmp(line, "-- ", 3)) { printf("%s %.2f\n", label, now() - t0); strncpy(label, line + 3, 63); t0 = now(); continue; }
    if (!*line) continue;
    sqlite3_stmt *st; const char *tail = line;
    while (tail && *tail) {
      if (S(prepare_v2)(db, tail, -1, &st, &tail)) { fprintf(stderr, "%s: %s\n", line, S(errmsg)(db)); return 1; }
      if (!st) break;
      int rc; while ((rc = S(step)(st)) == SQLITE_ROW) {}
      if (rc != SQLITE_DONE) { fprintf(stderr, "%s: %s\n", line, S(errmsg)(db)); return 1; }
      S(finalize)(st);
    }
  }
  printf("%s %.2f\ntotal %.2f\n", label, now() - t0, now() - all);
  return 0;
}
