/* Classification speed: title+scope records through one engine on one thread.
 * usage: classify [N [SRCDIR]]; reads SRCDIR/taxonomy/{shanghai-ai-2023.json,
 * model-2023.json, train/labelled-2023.jsonl} and cycles the training records (title and
 * scope only) N times in total. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stdtax/classifier.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this process: on a shared machine the wall clock also counts the time
 * other processes had the core. */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    const char *src = argc > 2 ? argv[2] : getenv("STDTAX_SRCDIR");
    char tax_path[4096], model_path[4096], data_path[4096];
    snprintf(tax_path, sizeof tax_path, "%s/taxonomy/shanghai-ai-2023.json",
             src ? src : ".");
    snprintf(model_path, sizeof model_path, "%s/taxonomy/model-2023.json",
             src ? src : ".");
    snprintf(data_path, sizeof data_path, "%s/taxonomy/train/labelled-2023.jsonl",
             src ? src : ".");
    struct stdtax_error err = {0};
    struct clf_engine *e = NULL;
    double t0 = now();
    if (clf_engine_load(tax_path, model_path, &e, NULL, &err) != 0) {
        fprintf(stderr, "engine: %s\n", err.text);
        return 1;
    }
    double t_load = now() - t0;
    struct model_example *ex = NULL;
    size_t n_ex = 0;
    if (model_examples_read(data_path, clf_engine_taxonomy(e), &ex, &n_ex, NULL, &err) !=
        0) {
        fprintf(stderr, "%s: %s\n", err.field, err.text);
        return 1;
    }
    size_t bytes = 0;
    struct clf_input *in = calloc(n_ex, sizeof *in);
    for (size_t i = 0; i < n_ex; i++) {
        const int fields[2] = {MODEL_FIELD_TITLE, MODEL_FIELD_SCOPE};
        for (int k = 0; k < 2; k++) {
            const char *s = ex[i].field[fields[k]];
            in[i].field[fields[k]] = s;
            in[i].len[fields[k]] = s ? strlen(s) : 0;
            bytes += in[i].len[fields[k]];
        }
    }
    unsigned long check = 0;
    t0 = now();
    double c0 = cpu();
    for (size_t i = 0; i < n; i++) {
        struct clf_decision d;
        if (clf_text_decide(e, &in[i % n_ex], &d, &err) != 0) {
            fprintf(stderr, "record %zu: %s\n", i % n_ex, err.text);
            return 1;
        }
        check += d.category->index;
    }
    double t_decide = now() - t0, c_decide = cpu() - c0;
    size_t n_json = n / 10 ? n / 10 : 1;
    t0 = now();
    c0 = cpu();
    for (size_t i = 0; i < n_json; i++) {
        json_t *r;
        if (clf_text_classify(e, &in[i % n_ex], &r, &err) != 0)
            return 1;
        json_decref(r);
    }
    double t_json = now() - t0, c_json = cpu() - c0;
    printf("engine load (taxonomy %s, model %s): %.1f ms\n",
           clf_engine_taxonomy(e)->version, model_version(clf_engine_model(e)),
           t_load * 1e3);
    printf("records: %zu distinct title+scope, mean %.0f bytes\n", n_ex,
           (double)bytes / (double)n_ex);
    printf("clf_text_decide:   %zu records in %.3f s = %.0f records/s, CPU %.3f s = %.0f "
           "records/CPU-s (checksum %lu)\n",
           n, t_decide, (double)n / t_decide, c_decide, (double)n / c_decide, check);
    printf("clf_text_classify: %zu records in %.3f s = %.0f records/s, CPU %.3f s = %.0f "
           "records/CPU-s (with JSON result)\n",
           n_json, t_json, (double)n_json / t_json, c_json, (double)n_json / c_json);
    free(in);
    model_examples_free(ex, n_ex);
    clf_engine_free(e);
    return 0;
}
