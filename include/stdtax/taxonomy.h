/* The taxonomy: categories, subcategories, priority topics and the call's tracks, loaded
 * from the JSON file described in doc/taxonomy-format.md.
 *
 * A loaded taxonomy is immutable and may be shared by threads.  Every pointer inside it
 * (nodes, labels, terms) is borrowed and valid until tax_taxonomy_free. */
#ifndef STDTAX_TAXONOMY_H
#define STDTAX_TAXONOMY_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "stdtax/error.h"

#define TAX_CODE_MAX 64   /* bytes of a node, topic or track code */
#define TAX_TERM_MAX 128  /* bytes of an evidence term */
#define TAX_LABEL_MAX 256 /* bytes of a label (zh or en) of a node, topic or track */
#define TAX_TEXT_MAX 4096 /* bytes of any other text: descriptions, titles, names */
#define TAX_FILE_MAX (8u << 20) /* a taxonomy file larger than this is refused */
/* Bounds that keep the loader's pairwise checks cheap on a hostile file. */
#define TAX_NODES_MAX 512
#define TAX_NODE_TERMS_MAX 512
#define TAX_TOPICS_MAX 256
#define TAX_TOPIC_TERMS_MAX 128
#define TAX_TRACKS_MAX 16
#define TAX_CALLS_MAX 16    /* calls side by side in one file (PROP_CALLS_MAX) */
#define TAX_CRITERIA_MAX 32 /* review criteria of one call */
#define TAX_CROSSWALK_MAX 512

struct tax_topic;

struct tax_term {
    char *term;    /* as written in the file */
    char *norm;    /* normalised (normalise.h), what the matcher sees */
    double weight; /* (0, 1] */
};

struct tax_node {
    char *code;
    struct tax_node *parent; /* NULL for a top-level category */
    struct tax_node **children;
    size_t n_children;
    int depth;    /* 0 top level, 1 subcategory */
    size_t index; /* position in tax_taxonomy.nodes (file order) */
    char *zh, *en;
    char *desc_zh, *desc_en; /* "" when the file has none */
    struct tax_term *terms;
    size_t n_terms;
    struct tax_topic **topics; /* the priority topics that name this node */
    size_t n_topics;
};

struct tax_topic {
    char *code;
    char *zh, *en;
    struct tax_node **nodes;
    size_t n_nodes;
    /* The topic's own evidence: a proposal of one of its nodes counts under the topic
     * only when one of these occurs in its text.  Weights are 1. */
    struct tax_term *terms;
    size_t n_terms;
    size_t index;
};

struct tax_track {
    char *code; /* "local" or "group" */
    char *zh, *en;
    char *form;     /* "附件3" */
    char *suffix;   /* file-name suffix, "地标" */
    char *deadline; /* RFC 3339 as written */
    time_t deadline_t;
};

/* A review criterion of a call (issue 15): points 0..max, weighted in the total. */
struct tax_criterion {
    char *code;
    char *zh, *en;
    int max;
    double weight;
};

/* One call for proposals (doc/taxonomy-format.md, "Calls"). */
struct tax_call {
    char *id;
    char *title_zh, *title_en;
    char *document;
    char *published;
    char *framework; /* the framework version the call was issued with */
    char *note;      /* "" or what the file says of it (e.g. "invented, not official") */
    int current;     /* the call a submission without one belongs to */
    struct tax_track *tracks;
    size_t n_tracks;
    struct tax_criterion *criteria;
    size_t n_criteria;
};

/* The crosswalk from the framework before this one: a code of that framework that is
 * not a node of this file (or is listed here anyway) goes to these codes.  The first
 * code is the default; the migration may choose another of them by the text. */
struct tax_crosswalk_entry {
    char *from;
    char **to;
    size_t n_to;
};

struct tax_taxonomy {
    int format;
    char *version;
    char *name_zh, *name_en;
    struct tax_call *calls; /* file order */
    size_t n_calls;
    const struct tax_call *current; /* one of calls, or NULL when none is current */
    char *crosswalk_from;           /* the previous framework's version, or NULL */
    struct tax_crosswalk_entry *crosswalk;
    size_t n_crosswalk;
    struct tax_node *nodes; /* file order */
    size_t n_nodes;
    struct tax_node **roots; /* top-level categories, file order */
    size_t n_roots;
    struct tax_topic *topics;
    size_t n_topics;
    struct tax_node **by_code; /* sorted by code, for tax_node_find */
};

/* Loads and validates a taxonomy file.  Every problem found is appended to problems (when
 * not NULL) as {"pointer","detail"}; any problem gives STDTAX_EINVAL.  An unreadable file
 * is STDTAX_EIO / STDTAX_ENOTFOUND, invalid JSON STDTAX_EPARSE (also added to problems
 * with pointer "").  On success *out is new: free with tax_taxonomy_free. */
int tax_file_load(const char *path, struct tax_taxonomy **out, json_t *problems,
                  struct stdtax_error *err);

/* The same from a JSON text of len bytes (tests, uploads). *out is new. */
int tax_buffer_load(const char *buf, size_t len, struct tax_taxonomy **out,
                    json_t *problems, struct stdtax_error *err);

/* The same from a parsed document (borrowed).  *out is new. */
int tax_json_load(const json_t *root, struct tax_taxonomy **out, json_t *problems,
                  struct stdtax_error *err);

void tax_taxonomy_free(struct tax_taxonomy *tax);

/* Lookups return borrowed pointers (valid until tax_taxonomy_free) or NULL. */
const struct tax_node *tax_node_find(const struct tax_taxonomy *tax, const char *code);
/* By Chinese label (exact) or English label (ASCII case-insensitive). */
const struct tax_node *tax_node_find_label(const struct tax_taxonomy *tax,
                                           const char *label);
/* By code, else by label: what the training and evaluation files may contain. */
const struct tax_node *tax_node_resolve(const struct tax_taxonomy *tax, const char *name);
const struct tax_topic *tax_topic_find(const struct tax_taxonomy *tax, const char *code);
/* A track of the current call (NULL without one). */
const struct tax_track *tax_track_find(const struct tax_taxonomy *tax, const char *code);
const struct tax_call *tax_call_find(const struct tax_taxonomy *tax, const char *id);
const struct tax_track *tax_call_track(const struct tax_call *call, const char *code);
/* The crosswalk entry of an old code, or NULL. */
const struct tax_crosswalk_entry *tax_crosswalk_find(const struct tax_taxonomy *tax,
                                                     const char *code);
/* A call as GET /v1/calls/{id} shows it.  new. */
json_t *tax_call_to_json(const struct tax_call *call);

/* The top-level category a node belongs to (itself when top level). Borrowed. */
const struct tax_node *tax_node_root(const struct tax_node *node);

/* Renders the whole tree (node == NULL) or one node with its children as JSON.  new.
 * Shape: {"version", "name", "call" (the current one, or null), "calls" (ids),
 * "priority_topics", "nodes": [tree]} for the tree,
 * and {"code","parent","labels","description","depth","priority_topics","children"}
 * for a node; evidence is included only when with_evidence is non-zero. */
json_t *tax_taxonomy_to_json(const struct tax_taxonomy *tax, const struct tax_node *node,
                             int with_evidence);

#endif
