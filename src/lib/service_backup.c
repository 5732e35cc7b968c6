/* Backup and restore of a data directory (stdtax/service_backup.h, doc/backup.md). */
#include "stdtax/service_backup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "service_internal.h"
#include "stdtax/sha256.h"
#include "stdtax/store.h"

#define MATERIALS "materials"

/* A missing directory counts as empty. */
static bool dir_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT;
    bool empty = true;
    for (struct dirent *e; empty && (e = readdir(d));)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

static int io_error(struct stdtax_error *err, const char *path, const char *what)
{
    int e = errno;
    if (e == ENOSPC || e == EDQUOT)
        return stdtax_error_set(err, STDTAX_ENOSPC, path, "disk full: cannot %s %s: %s",
                                what, path, strerror(e));
    return stdtax_error_set(err, STDTAX_EIO, path, "cannot %s %s: %s", what, path,
                            strerror(e));
}

static int fsync_path(const char *path, struct stdtax_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int rc = io_error(err, path, "sync");
        if (fd >= 0)
            close(fd);
        return rc;
    }
    close(fd);
    return 0;
}

/* Copies src to dst (created, fsynced) when dst is not NULL; hashes src as read. */
static int file_pass(const char *src, const char *dst, char hex[65], uint64_t *bytes,
                     struct stdtax_error *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC), out = -1;
    if (in < 0)
        return io_error(err, src, "read");
    if (dst && (out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0) {
        close(in);
        return io_error(err, dst, "create");
    }
    struct sha256_ctx c;
    sha256_ctx_init(&c);
    enum { BUF = 1 << 16 };
    char *buf = malloc(BUF);
    int rc = buf ? 0 : stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    *bytes = 0;
    while (rc == 0) {
        ssize_t n = read(in, buf, BUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = io_error(err, src, "read");
            break;
        }
        if (n == 0)
            break;
        sha256_ctx_update(&c, buf, (size_t)n);
        *bytes += (uint64_t)n;
        for (ssize_t off = 0; out >= 0 && off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = io_error(err, dst, "write");
                break;
            }
            off += w;
        }
        if (rc)
            break;
    }
    if (rc == 0 && out >= 0 && fsync(out) != 0)
        rc = io_error(err, dst, "sync");
    sha256_ctx_final_hex(&c, hex);
    free(buf);
    close(in);
    if (out >= 0 && close(out) != 0 && rc == 0)
        rc = io_error(err, dst, "write");
    return rc;
}

static int file_entry_add(json_t *files, const char *rel, const char *hex, uint64_t bytes)
{
    json_t *e = json_pack("{s:s, s:I, s:s}", "path", rel, "bytes", (json_int_t)bytes,
                          "sha256", hex);
    return e && json_array_append_new(files, e) == 0 ? 0 : STDTAX_ENOMEM;
}

/* Names a material file may have under materials/: two hex digits, then the
 * SHA-256 of its content.  Anything else (tmp/, trash) is not part of a backup. */
static bool hex_name(const char *s, size_t len)
{
    if (strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* Copies (dst_root not NULL) or lists the material files of src_root into files. */
static int materials_pass(const char *src_root, const char *dst_root, json_t *files,
                          struct stdtax_error *err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/" MATERIALS, src_root);
    DIR *top = opendir(dir);
    if (!top)
        return errno == ENOENT ? 0 : io_error(err, dir, "read");
    int rc = 0;
    for (struct dirent *a; rc == 0 && (a = readdir(top));) {
        if (!hex_name(a->d_name, 2))
            continue;
        char sub[PATH_MAX + 4], dsub[PATH_MAX + 16];
        snprintf(sub, sizeof sub, "%s/%s", dir, a->d_name);
        snprintf(dsub, sizeof dsub, "%s/" MATERIALS "/%s", dst_root ? dst_root : "",
                 a->d_name);
        if (dst_root && mkdir(dsub, 0750) != 0 && errno != EEXIST) {
            rc = io_error(err, dsub, "create");
            break;
        }
        DIR *d = opendir(sub);
        if (!d) {
            rc = io_error(err, sub, "read");
            break;
        }
        for (struct dirent *f; rc == 0 && (f = readdir(d));) {
            if (!hex_name(f->d_name, 64))
                continue;
            char src[PATH_MAX + 72], dst[PATH_MAX + 88], rel[128], hex[65];
            uint64_t bytes;
            snprintf(src, sizeof src, "%s/%s", sub, f->d_name);
            snprintf(dst, sizeof dst, "%s/%s", dsub, f->d_name);
            snprintf(rel, sizeof rel, MATERIALS "/%s/%s", a->d_name, f->d_name);
            rc = file_pass(src, dst_root ? dst : NULL, hex, &bytes, err);
            if (rc == 0)
                rc = file_entry_add(files, rel, hex, bytes);
        }
        closedir(d);
        if (rc == 0 && dst_root)
            rc = fsync_path(dsub, err);
    }
    closedir(top);
    return rc;
}

/* Opens the store in dir read-only, checks it (store_check) and counts its records. */
static int store_verify(const char *dir, json_int_t *records, struct stdtax_error *err)
{
    struct store_options so = {.read_only = 1};
    struct store *s;
    int rc = store_open(dir, &so, &s, err);
    if (rc)
        return rc;
    json_t *report = NULL;
    rc = store_check(s, &report, err);
    store_close(s);
    if (rc == 0 && !json_is_true(json_object_get(report, "ok")))
        rc = stdtax_error_set(err, STDTAX_ESTORE, dir,
                              "the store in %s is not consistent (stdtax check says why)",
                              dir);
    *records = json_integer_value(json_object_get(report, "records"));
    json_decref(report);
    return rc;
}

/* Every file of the manifest in root has its size and SHA-256.  A manifest names
 * files by relative paths: only data.mdb and materials/xx/<sha256> are accepted. */
static int files_verify(const char *root, const json_t *files, struct stdtax_error *err)
{
    size_t i;
    const json_t *f;
    json_array_foreach(files, i, f)
    {
        const char *rel = json_string_value(json_object_get(f, "path"));
        const char *want = json_string_value(json_object_get(f, "sha256"));
        json_int_t bytes = json_integer_value(json_object_get(f, "bytes"));
        bool ok_name =
            rel && (strcmp(rel, "data.mdb") == 0 ||
                    (strncmp(rel, MATERIALS "/", 10) == 0 && strlen(rel) == 77 &&
                     hex_name((char[]){rel[10], rel[11], 0}, 2) && rel[12] == '/' &&
                     hex_name(rel + 13, 64)));
        if (!ok_name || !want)
            return stdtax_error_set(err, STDTAX_EINVAL, root,
                                    "%s/manifest.json: files/%zu is not a file of a "
                                    "backup",
                                    root, i);
        char path[PATH_MAX], hex[65];
        uint64_t n;
        snprintf(path, sizeof path, "%s/%s", root, rel);
        int rc = file_pass(path, NULL, hex, &n, err);
        if (rc)
            return rc;
        if ((json_int_t)n != bytes || strcmp(hex, want) != 0)
            return stdtax_error_set(err, STDTAX_ESTORE, path,
                                    "%s differs from the backup's manifest (%llu bytes, "
                                    "SHA-256 %.12s..., expected %lld bytes, %.12s...)",
                                    path, (unsigned long long)n, hex, (long long)bytes,
                                    want);
    }
    return 0;
}

static int manifest_write(const char *out, const json_t *m, struct stdtax_error *err)
{
    char tmp[PATH_MAX], path[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/" BACKUP_MANIFEST ".tmp", out);
    snprintf(path, sizeof path, "%s/" BACKUP_MANIFEST, out);
    if (json_dump_file(m, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) != 0)
        return io_error(err, tmp, "write");
    int rc = fsync_path(tmp, err);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = io_error(err, path, "write");
    return rc ? rc : fsync_path(out, err);
}

int svc_backup_make(struct svc *svc, const char *out, json_t **manifest,
                    struct stdtax_error *err)
{
    if (manifest)
        *manifest = NULL;
    if (!dir_empty(out))
        return stdtax_error_set(err, STDTAX_ECONFLICT, out,
                                "%s is not empty: a backup goes into a new directory",
                                out);
    if (mkdir(out, 0750) != 0 && errno != EEXIST)
        return io_error(err, out, "create");
    time_t started = time(NULL);
    int rc = store_copy(svc->store, out, err);
    json_int_t records = 0;
    /* The copy is checked as a store before anything is said about it; opening it
     * leaves a lock file that is not part of the backup. */
    char path[PATH_MAX], hex[65];
    if (rc == 0)
        rc = store_verify(out, &records, err);
    snprintf(path, sizeof path, "%s/lock.mdb", out);
    unlink(path);
    json_t *files = json_array(), *m = NULL;
    uint64_t bytes = 0;
    snprintf(path, sizeof path, "%s/data.mdb", out);
    if (rc == 0 && !files)
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    if (rc == 0)
        rc = file_pass(path, NULL, hex, &bytes, err);
    if (rc == 0)
        rc = file_entry_add(files, "data.mdb", hex, bytes);
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/" MATERIALS, out);
        if (mkdir(path, 0750) != 0 && errno != EEXIST)
            rc = io_error(err, path, "create");
    }
    if (rc == 0)
        rc = materials_pass(store_dir(svc->store), out, files, err);
    if (rc == 0)
        rc = files_verify(out, files, err); /* what was written reads back the same */
    if (rc == 0) {
        char when[32];
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&started));
        m = json_pack("{s:s, s:i, s:s, s:s, s:{s:I, s:I}, s:O}", "format", BACKUP_FORMAT,
                      "schema_version", STORE_SCHEMA_VERSION, "created", when, "source",
                      store_dir(svc->store), "counts", "proposals", records, "materials",
                      (json_int_t)json_array_size(files) - 1, "files", files);
        rc = m ? manifest_write(out, m, err)
               : stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    }
    json_decref(files);
    if (rc == 0 && manifest)
        *manifest = m;
    else
        json_decref(m);
    return rc;
}

/* Removes the store and the materials of data_dir (restore --force). */
static int target_clear(const char *dir, struct stdtax_error *err)
{
    const char *files[] = {"data.mdb", "lock.mdb"};
    char path[PATH_MAX];
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (unlink(path) != 0 && errno != ENOENT)
            return io_error(err, path, "remove");
    }
    json_t *old = json_array();
    if (!old)
        return stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    int rc = materials_pass(dir, NULL, old, err);
    size_t i;
    json_t *f;
    json_array_foreach(old, i, f)
    {
        snprintf(path, sizeof path, "%s/%s", dir,
                 json_string_value(json_object_get(f, "path")));
        if (rc == 0 && unlink(path) != 0)
            rc = io_error(err, path, "remove");
    }
    json_decref(old);
    return rc;
}

int svc_backup_restore(const char *backup, const char *data_dir, bool force,
                       json_t **manifest, struct stdtax_error *err)
{
    if (manifest)
        *manifest = NULL;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/" BACKUP_MANIFEST, backup);
    json_error_t jerr;
    json_t *m = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!m)
        return access(path, F_OK) != 0
                   ? stdtax_error_set(err, STDTAX_ENOTFOUND, backup,
                                      "%s has no manifest.json: not a backup, or one "
                                      "that did not finish",
                                      backup)
                   : stdtax_error_set(err, STDTAX_EPARSE, path, "%s: %s (line %d)", path,
                                      jerr.text, jerr.line);
    int rc = 0;
    const char *format = json_string_value(json_object_get(m, "format"));
    json_int_t version = json_integer_value(json_object_get(m, "schema_version"));
    const json_t *files = json_object_get(m, "files");
    if (!format || strcmp(format, BACKUP_FORMAT) != 0 || !json_is_array(files))
        rc = stdtax_error_set(err, STDTAX_EINVAL, path,
                              "%s is not a manifest of stdtaxd-backup/1", path);
    else if (version != STORE_SCHEMA_VERSION)
        rc = stdtax_error_set(err, STDTAX_EVERSION, backup,
                              "the backup %s holds a store of schema version %lld; this "
                              "program reads schema version %d",
                              backup, (long long)version, STORE_SCHEMA_VERSION);
    if (rc == 0)
        rc = files_verify(backup, files, err);
    if (rc == 0 && !dir_empty(data_dir)) {
        if (!force)
            rc = stdtax_error_set(err, STDTAX_ECONFLICT, data_dir,
                                  "%s is not empty: restore into an empty directory, or "
                                  "give --force to replace its store and materials",
                                  data_dir);
        else
            rc = target_clear(data_dir, err);
    }
    if (rc == 0 && mkdir(data_dir, 0750) != 0 && errno != EEXIST)
        rc = io_error(err, data_dir, "create");
    snprintf(path, sizeof path, "%s/" MATERIALS, data_dir);
    if (rc == 0 && mkdir(path, 0750) != 0 && errno != EEXIST)
        rc = io_error(err, path, "create");
    json_t *copied = json_array();
    if (rc == 0 && !copied)
        rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
    if (rc == 0)
        rc = materials_pass(backup, data_dir, copied, err);
    if (rc == 0) {
        /* The store last, under a temporary name: a restore cut short leaves no store
         * that looks whole. */
        char src[PATH_MAX], tmp[PATH_MAX], hex[65];
        uint64_t n;
        snprintf(src, sizeof src, "%s/data.mdb", backup);
        snprintf(tmp, sizeof tmp, "%s/data.mdb.restoring", data_dir);
        snprintf(path, sizeof path, "%s/data.mdb", data_dir);
        rc = file_pass(src, tmp, hex, &n, err);
        if (rc == 0 && rename(tmp, path) != 0)
            rc = io_error(err, path, "write");
        if (rc == 0)
            rc = fsync_path(data_dir, err);
    }
    json_decref(copied);
    json_int_t records = 0;
    if (rc == 0)
        rc = store_verify(data_dir, &records, err);
    json_int_t want =
        json_integer_value(json_object_get(json_object_get(m, "counts"), "proposals"));
    if (rc == 0 && records != want)
        rc = stdtax_error_set(err, STDTAX_ESTORE, data_dir,
                              "the restored store has %lld proposals, the manifest %lld",
                              (long long)records, (long long)want);
    if (rc == 0 && manifest)
        *manifest = m;
    else
        json_decref(m);
    return rc;
}

/* Removes a backup: its manifest first (so that a removal cut short leaves no backup
 * that looks whole), then its files and directories. */
static int backup_remove(const char *dir, struct stdtax_error *err)
{
    char path[PATH_MAX + 320];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    if (unlink(path) != 0 && errno != ENOENT)
        return io_error(err, path, "remove");
    int rc = target_clear(dir, err);
    DIR *d = NULL;
    snprintf(path, sizeof path, "%s/" MATERIALS, dir);
    if (rc == 0 && (d = opendir(path))) {
        for (struct dirent *e; (e = readdir(d));) {
            char sub[PATH_MAX + 600];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            if (hex_name(e->d_name, 2))
                rmdir(sub);
        }
        closedir(d);
    }
    if (rc == 0 && rmdir(path) != 0 && errno != ENOENT)
        rc = io_error(err, path, "remove");
    if (rc == 0 && rmdir(dir) != 0)
        rc = io_error(err, dir, "remove");
    return rc;
}

struct backup_seen {
    char name[256];
    char created[32];
};

static int seen_newest_first(const void *a, const void *b)
{
    const struct backup_seen *x = a, *y = b;
    int c = strcmp(y->created, x->created);
    return c ? c : strcmp(y->name, x->name);
}

int svc_backup_prune(const char *dir, unsigned keep, unsigned *removed,
                     struct stdtax_error *err)
{
    if (removed)
        *removed = 0;
    DIR *d = opendir(dir);
    if (!d)
        return io_error(err, dir, "read");
    struct backup_seen *seen = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s/manifest.json", dir, e->d_name);
        json_t *m = e->d_name[0] == '.' ? NULL : json_load_file(path, 0, NULL);
        const char *created = json_string_value(json_object_get(m, "created"));
        if (created && strlen(e->d_name) < sizeof seen->name) {
            if (n == cap) {
                struct backup_seen *p =
                    realloc(seen, (cap = cap ? 2 * cap : 16) * sizeof *p);
                if (!p)
                    rc = stdtax_error_set(err, STDTAX_ENOMEM, "", "out of memory");
                else
                    seen = p;
            }
            if (rc == 0) {
                snprintf(seen[n].name, sizeof seen[n].name, "%s", e->d_name);
                snprintf(seen[n].created, sizeof seen[n].created, "%s", created);
                n++;
            }
        }
        json_decref(m);
    }
    closedir(d);
    if (n)
        qsort(seen, n, sizeof *seen, seen_newest_first);
    for (size_t i = keep; rc == 0 && i < n; i++) {
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, seen[i].name);
        rc = backup_remove(path, err);
        if (rc == 0 && removed)
            (*removed)++;
    }
    free(seen);
    return rc;
}
