/* Submission materials (申报材料, section 五 of the call): the kinds a proposal
 * carries, the file types accepted, the download name and the content-addressed file
 * store under the data directory (doc/materials.md).
 *
 * A type is decided by the file's own bytes, never by a name or a declared type:
 * PDF, DOCX, DOC, OFD (GB/T 33190), JPEG and PNG.  The files live in
 * DATA/materials/ab/<sha256> (ab: the first two hex digits), written to
 * DATA/materials/tmp/ first, fsynced, renamed and the directory fsynced, so that a
 * name under materials/ab/ always holds the whole file. */
#ifndef STDTAX_MATERIAL_H
#define STDTAX_MATERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "stdtax/error.h"

enum material_kind {
    MATERIAL_FORM_SCAN, /* 盖章后的建议书扫描件: the stamped proposal form */
    MATERIAL_DRAFT,     /* 标准草案: the draft standard */
    MATERIAL_IP_PROOF,  /* 知识产权证明 */
    MATERIAL_OTHER,     /* 其他需要证明的文件: several, each with its own id */
    MATERIAL_KINDS
};

/* Static: "form-scan", "draft", "ip-proof", "other". */
const char *material_kind_code(enum material_kind kind);
/* Static: the kind's name in the call's words, used in download names ("草案"). */
const char *material_kind_label(enum material_kind kind);
/* The kind of code, or -1. */
int material_kind_parse(const char *code);

/* A material's id within its proposal: the kind's code, or "other-N" (N from 1).
 * Returns the kind, or -1 for anything else. */
int material_slot_kind(const char *slot);
#define MATERIAL_SLOT_MAX 24

/* True when the proposal is complete: it has a form-scan and a draft.  slots: the
 * ids of the materials it has. */
bool material_complete(const char *const *slots, size_t n);

struct material_type {
    const char *name;       /* "PDF" */
    const char *media_type; /* "application/pdf" */
    const char *ext;        /* ".pdf" */
};

/* The accepted type of data[0..len) from its magic bytes (for ZIP containers, the
 * names in the central directory: DOCX has [Content_Types].xml and word/, OFD has
 * OFD.xml), or NULL.  Static. */
const struct material_type *material_type_sniff(const unsigned char *data, size_t len);

/* The accepted type with that media type, or NULL.  Static. */
const struct material_type *material_type_find(const char *media_type);

/* True when a declared Content-Type (may be NULL; parameters and case ignored) agrees
 * with type: absent, application/octet-stream, or type's own media type. */
bool material_type_declared_ok(const struct material_type *type, const char *declared);

/* The call's file name 单位名称-标准名-地标/团标 plus the kind and the extension
 * ("上海某公司-人工智能 大模型 训练数据质量评价规范-地标-草案.pdf"): organisation and
 * title as given (may be NULL: left out), track "local" or "group", characters that
 * no file system takes ('/', '\\', control characters, '"') as '_'.  Writes at most
 * size bytes with the NUL, cutting on a UTF-8 boundary before the kind.  Returns the
 * length. */
size_t material_file_name(const char *organisation, const char *title, const char *track,
                          enum material_kind kind, const char *ext, char *out,
                          size_t size);

/* --- the file store ----------------------------------------------------------- */

#define MATERIAL_PATH_MAX 4096

/* DATA/materials/ab/<sha> into out.  Returns 0 or STDTAX_ETOOBIG. */
int material_file_path(const char *data_dir, const char *sha, char *out, size_t size);

/* Writes data[0..len) to its content address under data_dir unless a file is there
 * already (the same content stored once): a temporary file in materials/tmp, fsync,
 * rename, fsync of the directory.  sha (64 hex digits) names the content.  Returns 0,
 * STDTAX_ENOSPC or STDTAX_EIO with err naming the path. */
int material_file_put(const char *data_dir, const char *sha, const void *data, size_t len,
                      struct stdtax_error *err);

/* Opens the file of sha for reading: *fd (close it) and *size.  STDTAX_ENOTFOUND when
 * it is missing, STDTAX_EIO otherwise. */
int material_file_open(const char *data_dir, const char *sha, int *fd, off_t *size,
                       struct stdtax_error *err);

/* Moves the file of sha out of its address (into materials/tmp as trash-<sha>-<pid>)
 * so that a removal can be undone until the transaction that decided it commits;
 * trash names the moved file.  A missing file is not an error (*trash = ""). */
int material_file_trash(const char *data_dir, const char *sha, char *trash, size_t size,
                        struct stdtax_error *err);

/* What a walk of the file store finds. */
struct material_file_entry {
    const char *path; /* borrowed for the call */
    const char *sha;  /* the name when it is a content address, else NULL (tmp) */
    bool in_progress; /* a temporary file of a process still running */
};
typedef int (*material_file_fn)(const struct material_file_entry *e, void *arg);

/* Calls fn for every file under DATA/materials (addresses and temporary files);
 * stops at fn's first nonzero return and returns it.  A missing directory is empty. */
int material_files_walk(const char *data_dir, material_file_fn fn, void *arg,
                        struct stdtax_error *err);

/* The SHA-256 of the file at path: 0, or STDTAX_ENOTFOUND / STDTAX_EIO. */
int material_file_hash(const char *path, char sha[65], struct stdtax_error *err);

#endif
