// SQLite alone: an audited participant read's statements and its audit entry, as Samspår
// runs them (issue 27, the floor of part 1), without HTTP, JSON, tokens or the chain's HMAC.
// Reader threads run the read's five statements in one read transaction per read (each
// prepared once, bound and stepped, every column fetched); one writer thread appends an
// audit_log row and an audit_subjects row per read, in group commits of whatever has
// accumulated (WAL, synchronous = NORMAL), as AuditBuffer does.
// usage: floor-read DB ORG SECONDS READERS IDSFILE [IN_FLIGHT]
// IN_FLIGHT: reads waiting for their entry at most (64, wrk's connections); -1: no audit.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sqlite_nio_sqlite3.h"
#define S(x) sqlite_nio_sqlite3_##x

static const char *DBPATH; static long long ORG; static int SECS, READERS;
static long long *ids; static int nids; static atomic_long next_id, reads, committed, commits;
static atomic_int stop;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long long *queue; static int qlen; // persons read, not yet audited
static long long DAY; static int CAP = 4096;

#define COND "r.person_id = ?1 AND (r.org_number = ?2 OR (1 = 1 AND EXISTS (SELECT 1 FROM consents c WHERE c.person_id = r.person_id AND c.org_number = r.org_number AND c.party = ?2 AND c.valid_from <= ?3 AND (c.valid_until IS NULL OR c.valid_until >= ?3) AND (c.withdrawn_on IS NULL OR c.withdrawn_on > ?3))))"
#define CTE "WITH visible AS (SELECT r.person_id, r.org_number FROM registrations r WHERE " COND ") "
#define CHOSEN "x.person_id = ?1 AND (x.person_id, x.org_number) IN (SELECT person_id, org_number FROM visible)"
static const char *SQL[5] = {
  CTE "SELECT r.person_id, r.org_number, o.kind, r.changed, r.given_name, r.family_name, r.sex, r.sex_explicit, r.municipality, r.first_permit_date, r.registered_on, r.exited_on, r.exit_reason, r.upper_secondary_completed, r.education_level, r.protected_ref FROM registrations r LEFT JOIN organisations o ON o.org_number = r.org_number WHERE " COND " ORDER BY person_id",
  CTE "SELECT x.person_id, t.agreement_id, t.code, x.kind, x.date, x.reason, x.org_number FROM track_events x JOIN tracks t ON t.id = x.track_id WHERE " CHOSEN " ORDER BY person_id, date, code, kind, org_number",
  CTE "SELECT x.person_id, x.date, x.status, x.org_number FROM status_changes x WHERE " CHOSEN " ORDER BY person_id, date, org_number",
  CTE "SELECT x.person_id, x.kind, x.start, x.end_date, x.hours_per_week, x.provider, x.org_number FROM activities x WHERE " CHOSEN " ORDER BY person_id, start, kind, org_number",
  CTE "SELECT x.id, x.person_id, x.org_number, x.party, x.valid_from, x.valid_until, x.withdrawn_on FROM consents x WHERE " CHOSEN " ORDER BY id",
};

static void die(sqlite3 *db, const char *what) { fprintf(stderr, "%s: %s\n", what, S(errmsg)(db)); exit(1); }
static sqlite3 *open_db(const char **pragmas) {
  sqlite3 *db; if (S(open_v2)(DBPATH, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)) die(db, "open");
  for (const char **p = pragmas; *p; p++) if (S(exec)(db, *p, 0, 0, 0)) die(db, *p);
  return db;
}
static void run(sqlite3 *db, sqlite3_stmt *st) { if (S(step)(st) != SQLITE_DONE) die(db, "step"); S(reset)(st); }

static void *reader(void *arg) {
  const char *pr[] = {"PRAGMA query_only = ON", "PRAGMA busy_timeout = 5000", "PRAGMA cache_size = -16384", NULL};
  sqlite3 *db = open_db(pr); sqlite3_stmt *st[5], *b, *c;
  for (int i = 0; i < 5; i++) if (S(prepare_v3)(db, SQL[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i], 0)) die(db, SQL[i]);
  S(prepare_v2)(db, "BEGIN", -1, &b, 0); S(prepare_v2)(db, "COMMIT", -1, &c, 0);
  long long sink = 0;
  while (!atomic_load(&stop)) {
    long long person = ids[atomic_fetch_add(&next_id, 1) % nids];
    run(db, b);
    for (int i = 0; i < 5; i++) {
      S(bind_int64)(st[i], 1, person); S(bind_int64)(st[i], 2, ORG); S(bind_int64)(st[i], 3, DAY);
      int rc; while ((rc = S(step)(st[i])) == SQLITE_ROW) {
        int n = S(column_count)(st[i]);
        for (int k = 0; k < n; k++) {
          if (S(column_type)(st[i], k) == SQLITE_TEXT) sink += S(column_bytes)(st[i], k) + (long long)(size_t)S(column_text)(st[i], k);
          else sink += S(column_int64)(st[i], k);
        }
      }
      if (rc != SQLITE_DONE) die(db, "read");
      S(reset)(st[i]);
    }
    run(db, c);
    atomic_fetch_add(&reads, 1);
    if (CAP < 0) continue;
    pthread_mutex_lock(&mu);
    while (qlen >= CAP && !atomic_load(&stop)) pthread_cond_wait(&cv, &mu);
    queue[qlen++] = person; pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
  }
  return (void *)(size_t)(sink & 1);
}

static void *writer(void *arg) {
  const char *pr[] = {"PRAGMA busy_timeout = 5000", "PRAGMA journal_mode = WAL", "PRAGMA foreign_keys = ON", "PRAGMA synchronous = NORMAL", "PRAGMA cache_size = -65536", "PRAGMA temp_store = FILE", NULL};
  sqlite3 *db = open_db(pr); sqlite3_stmt *b, *c, *head, *log, *sub;
  S(prepare_v2)(db, "BEGIN IMMEDIATE", -1, &b, 0); S(prepare_v2)(db, "COMMIT", -1, &c, 0);
  S(prepare_v2)(db, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", -1, &head, 0);
  if (S(prepare_v2)(db, "INSERT INTO audit_log (seq, at, actor, role, org_number, action, person_id, channel, detail, prev_hash, hash, keyed, person_salt) VALUES (?1, '2026-12-07T18:00:00Z', 'token 1 (bench)', 'api', ?2, 'read participant', ?3, 'api', '', ?4, ?5, 1, ?6)", -1, &log, 0)) die(db, "log");
  if (S(prepare_v2)(db, "INSERT INTO audit_subjects (seq, person_id, org_number, salt) VALUES (?1, ?2, ?3, ?4)", -1, &sub, 0)) die(db, "sub");
  long long *batch = malloc(sizeof(long long) * 4096); char hex[65], salt[33]; unsigned long long x = 88172645463325252ULL;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (qlen == 0 && !atomic_load(&stop)) pthread_cond_wait(&cv, &mu);
    int n = qlen; memcpy(batch, queue, n * sizeof(long long)); qlen = 0; pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    if (n == 0) break;
    run(db, b);
    long long seq = 0; if (S(step)(head) == SQLITE_ROW) seq = S(column_int64)(head, 0); S(reset)(head);
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < 64; k++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; hex[k] = "0123456789abcdef"[x & 15]; } hex[64] = 0;
      memcpy(salt, hex, 32); salt[32] = 0; seq++;
      S(bind_int64)(log, 1, seq); S(bind_int64)(log, 2, ORG); S(bind_int64)(log, 3, batch[i]);
      S(bind_text)(log, 4, hex, 64, SQLITE_TRANSIENT); S(bind_text)(log, 5, hex, 64, SQLITE_TRANSIENT); S(bind_text)(log, 6, salt, 32, SQLITE_TRANSIENT);
      run(db, log);
      S(bind_int64)(sub, 1, seq); S(bind_int64)(sub, 2, batch[i]); S(bind_int64)(sub, 3, ORG); S(bind_text)(sub, 4, salt + 1, 31, SQLITE_TRANSIENT);
      run(db, sub);
    }
    run(db, c);
    atomic_fetch_add(&committed, n); atomic_fetch_add(&commits, 1);
  }
  return 0;
}

int main(int argc, char **argv) {
  DBPATH = argv[1]; ORG = atoll(argv[2]); SECS = atoi(argv[3]); READERS = atoi(argv[4]);
  FILE *f = fopen(argv[5], "r"); ids = malloc(sizeof(long long) * 2000000); char line[64];
  while (fgets(line, sizeof line, f)) ids[nids++] = atoll(line);
  // a shuffle, as wrk's clients read the ids in turn from different places
  srand(1); for (int i = nids - 1; i > 0; i--) { int j = rand() % (i + 1); long long t = ids[i]; ids[i] = ids[j]; ids[j] = t; }
  // NOBULK=1: no first block of page cache per cache (BENCHMARKS.md, thirteenth step).
  if (getenv("NOBULK")) S(config)(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
  queue = malloc(sizeof(long long) * 4096); if (argc > 6) CAP = atoi(argv[6]); DAY = time(NULL) / 86400;
  pthread_t w, r[64]; pthread_create(&w, 0, writer, 0);
  for (int i = 0; i < READERS; i++) pthread_create(&r[i], 0, reader, 0);
  sleep(2); long r0 = atomic_load(&reads), c0 = atomic_load(&committed), k0 = atomic_load(&commits);
  struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
  sleep(SECS);
  clock_gettime(CLOCK_MONOTONIC, &t1); long r1 = atomic_load(&reads), c1 = atomic_load(&committed), k1 = atomic_load(&commits);
  double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("readers %d: %.0f reads/s, %.0f audited/s, %.1f entries per commit\n", READERS, (r1 - r0) / s, (c1 - c0) / s, (double)(c1 - c0) / (k1 - k0 ? k1 - k0 : 1));
  atomic_store(&stop, 1); pthread_mutex_lock(&mu); pthread_cond_broadcast(&cv); pthread_mutex_unlock(&mu);
  for (int i = 0; i < READERS; i++) pthread_join(r[i], 0);
  pthread_mutex_lock(&mu); pthread_cond_broadcast(&cv); pthread_mutex_unlock(&mu);
  pthread_join(w, 0);
  return 0;
}
