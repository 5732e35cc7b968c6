/* Backup and restore of a data directory (doc/backup.md): a compacted copy of the
 * store taken while the daemon writes, the materials, and a manifest (schema version,
 * counts, every file's size and SHA-256, time) written last, once the copy is checked:
 * a directory without manifest.json is an unfinished backup and is never restored. */
#ifndef STDTAX_SERVICE_BACKUP_H
#define STDTAX_SERVICE_BACKUP_H

#include <jansson.h>
#include <stdbool.h>

#include "stdtax/error.h"

struct svc;

#define BACKUP_MANIFEST "manifest.json"
#define BACKUP_FORMAT "stdtaxd-backup/1"

/* Backs svc's store up into out, a directory that must not exist or be empty: the
 * store's copy (store_copy), the files under materials/, then the copy checked
 * (store_check clean, every file hashed again) and the manifest written.  *manifest
 * (may be NULL) is new.  On failure out holds no manifest.json. */
int svc_backup_make(struct svc *svc, const char *out, json_t **manifest,
                    struct stdtax_error *err);

/* Restores the backup in dir `backup` into data_dir: refuses a backup without a
 * manifest, of another format or schema version (STDTAX_EVERSION naming both), or
 * whose files differ from the manifest; refuses a data_dir that holds anything unless
 * force (then its store and materials are replaced; other files stay).  The restored
 * store is checked (store_check clean, the manifest's counts).  *manifest (may be
 * NULL) is new. */
int svc_backup_restore(const char *backup, const char *data_dir, bool force,
                       json_t **manifest, struct stdtax_error *err);

/* Keeps the newest keep backups among the directories of dir (those with a manifest,
 * by their "created" time, then name) and removes the others' files and directories.
 * Directories without a manifest (a backup running, or one that failed) are left
 * alone.  *removed (may be NULL) counts the backups removed. */
int svc_backup_prune(const char *dir, unsigned keep, unsigned *removed,
                     struct stdtax_error *err);

#endif
