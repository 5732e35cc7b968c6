/* The materials' file store: content addresses under DATA/materials (material.h).
 * Durability order: the file's bytes, then its name, then the directory holding the
 * name are on disk before the caller records the file in the store. */
#include "stdtax/material.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stdtax/sha256.h"

static int io_error(struct stdtax_error *err, int errnum, const char *path,
                    const char *what)
{
    int code = errnum == ENOSPC || errnum == EDQUOT ? STDTAX_ENOSPC
               : errnum == ENOENT                   ? STDTAX_ENOTFOUND
                                                    : STDTAX_EIO;
    return stdtax_error_set(err, code, path, "%s %s: %s", what, path, strerror(errnum));
}

static bool sha_ok(const char *sha)
{
    return sha && strlen(sha) == 64 && strspn(sha, "0123456789abcdef") == 64;
}

int material_file_path(const char *data_dir, const char *sha, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/materials/%.2s/%s", data_dir, sha, sha);
    return n < 0 || (size_t)n >= size ? STDTAX_ETOOBIG : 0;
}

static int dir_fsync(const char *path, struct stdtax_error *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return io_error(err, errno, path, "cannot open");
    int rc = fsync(fd) == 0 ? 0 : io_error(err, errno, path, "cannot fsync");
    close(fd);
    return rc;
}

/* mkdir that is durable: the new name is fsynced in its parent. */
static int dir_make(const char *path, const char *parent, struct stdtax_error *err)
{
    if (mkdir(path, 0750) == 0)
        return dir_fsync(parent, err);
    return errno == EEXIST ? 0 : io_error(err, errno, path, "cannot create");
}

static int dirs_make(const char *data_dir, const char *sha, char *sub, size_t size,
                     struct stdtax_error *err)
{
    char top[MATERIAL_PATH_MAX], tmp[MATERIAL_PATH_MAX];
    snprintf(top, sizeof top, "%s/materials", data_dir);
    snprintf(tmp, sizeof tmp, "%s/materials/tmp", data_dir);
    int n = snprintf(sub, size, "%s/materials/%.2s", data_dir, sha);
    if (n < 0 || (size_t)n >= size || strlen(top) + 8 >= sizeof top)
        return stdtax_error_set(err, STDTAX_ETOOBIG, data_dir, "path too long");
    int rc = dir_make(top, data_dir, err);
    if (!rc)
        rc = dir_make(tmp, top, err);
    if (!rc)
        rc = dir_make(sub, top, err);
    return rc;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len) {
        ssize_t w = write(fd, p, len > (1u << 20) ? (1u << 20) : len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return w < 0 ? errno : EIO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int material_file_put(const char *data_dir, const char *sha, const void *data, size_t len,
                      struct stdtax_error *err)
{
    char path[MATERIAL_PATH_MAX], sub[MATERIAL_PATH_MAX], tmp[MATERIAL_PATH_MAX];
    struct stat st;
    if (!sha_ok(sha) || material_file_path(data_dir, sha, path, sizeof path) != 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "", "bad content address");
    int rc = dirs_make(data_dir, sha, sub, sizeof sub, err);
    if (rc)
        return rc;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size == len)
        return dir_fsync(sub, err); /* stored before; its name may not be durable yet */
    snprintf(tmp, sizeof tmp, "%s/materials/tmp/up-%ld-XXXXXX", data_dir, (long)getpid());
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return io_error(err, errno, tmp, "cannot create");
    int e = write_all(fd, data, len);
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && (fchmodat(AT_FDCWD, tmp, 0640, 0) != 0 || rename(tmp, path) != 0))
        e = errno;
    if (e) {
        unlink(tmp);
        return io_error(err, e, path, "cannot write");
    }
    return dir_fsync(sub, err);
}

int material_file_open(const char *data_dir, const char *sha, int *fd, off_t *size,
                       struct stdtax_error *err)
{
    char path[MATERIAL_PATH_MAX];
    struct stat st;
    *fd = -1;
    if (!sha_ok(sha) || material_file_path(data_dir, sha, path, sizeof path) != 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "", "bad content address");
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return io_error(err, errno, path, "cannot open");
    if (fstat(f, &st) != 0) {
        int e = errno;
        close(f);
        return io_error(err, e, path, "cannot stat");
    }
    *fd = f;
    *size = st.st_size;
    return 0;
}

int material_file_trash(const char *data_dir, const char *sha, char *trash, size_t size,
                        struct stdtax_error *err)
{
    char path[MATERIAL_PATH_MAX];
    trash[0] = '\0';
    if (!sha_ok(sha) || material_file_path(data_dir, sha, path, sizeof path) != 0)
        return stdtax_error_set(err, STDTAX_EINVAL, "", "bad content address");
    int n = snprintf(trash, size, "%s/materials/tmp/trash-%ld-%s", data_dir,
                     (long)getpid(), sha);
    if (n < 0 || (size_t)n >= size)
        return stdtax_error_set(err, STDTAX_ETOOBIG, data_dir, "path too long");
    if (rename(path, trash) == 0)
        return 0;
    int e = errno;
    trash[0] = '\0';
    return e == ENOENT ? 0 : io_error(err, e, path, "cannot move");
}

/* A temporary file ("up-PID-..." or "trash-PID-...") of a process that still runs:
 * an upload in progress, not a leftover. */
static bool tmp_in_progress(const char *name)
{
    const char *dash = strchr(name, '-');
    if (!dash)
        return false;
    char *end;
    long pid = strtol(dash + 1, &end, 10);
    if (end == dash + 1 || *end != '-' || pid <= 0)
        return false;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static int walk_dir(const char *dir, bool tmp, material_file_fn fn, void *arg,
                    struct stdtax_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT || errno == ENOTDIR
                   ? 0
                   : io_error(err, errno, dir, "cannot read");
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[MATERIAL_PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path)
            continue;
        struct material_file_entry e = {
            .path = path,
            .sha = !tmp && sha_ok(de->d_name) ? de->d_name : NULL,
            .in_progress = tmp && tmp_in_progress(de->d_name)};
        rc = fn(&e, arg);
    }
    closedir(d);
    return rc;
}

int material_files_walk(const char *data_dir, material_file_fn fn, void *arg,
                        struct stdtax_error *err)
{
    char top[MATERIAL_PATH_MAX];
    if ((size_t)snprintf(top, sizeof top, "%s/materials", data_dir) >= sizeof top - 8)
        return stdtax_error_set(err, STDTAX_ETOOBIG, data_dir, "path too long");
    DIR *d = opendir(top);
    if (!d)
        return errno == ENOENT ? 0 : io_error(err, errno, top, "cannot read");
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char sub[MATERIAL_PATH_MAX + 16];
        snprintf(sub, sizeof sub, "%s/%.8s", top, de->d_name);
        rc = walk_dir(sub, strcmp(de->d_name, "tmp") == 0, fn, arg, err);
    }
    closedir(d);
    return rc;
}

int material_file_hash(const char *path, char sha[65], struct stdtax_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return io_error(err, errno, path, "cannot open");
    struct sha256_ctx c;
    sha256_ctx_init(&c);
    unsigned char buf[1 << 16];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            sha256_ctx_update(&c, buf, (size_t)n);
    int e = n < 0 ? errno : 0;
    close(fd);
    if (e)
        return io_error(err, e, path, "cannot read");
    sha256_ctx_final_hex(&c, sha);
    return 0;
}
