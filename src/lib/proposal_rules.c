/* The calls a daemon knows and their deadlines per track. */
#include "proposal_internal.h"

#include <stdio.h>
#include <string.h>

int prop_rules_call_add(struct prop_rules *rules, const char *id, time_t local_deadline,
                        time_t group_deadline, struct stdtax_error *err)
{
    enum msg_id why = id ? prop_check_call_id(id, strlen(id)) : MSG_CALL_ID_LENGTH;
    if (why)
        return stdtax_error_set(err, STDTAX_EINVAL, "/call/id", "%s",
                                msg_text(why, MSG_EN));
    if (prop_rules_call_find(rules, id))
        return stdtax_error_set(err, STDTAX_ECONFLICT, "/call/id", "call %s given twice",
                                id);
    if (rules->ncalls >= PROP_CALLS_MAX)
        return stdtax_error_set(err, STDTAX_ETOOBIG, "/call", "more than %d calls",
                                PROP_CALLS_MAX);
    struct prop_call *c = &rules->calls[rules->ncalls++];
    snprintf(c->id, sizeof c->id, "%s", id);
    c->deadline[PROP_TRACK_LOCAL] = local_deadline;
    c->deadline[PROP_TRACK_GROUP] = group_deadline;
    return 0;
}

const struct prop_call *prop_rules_call_find(const struct prop_rules *rules,
                                             const char *id)
{
    if (!rules || !id)
        return NULL;
    for (size_t i = 0; i < rules->ncalls && i < PROP_CALLS_MAX; i++)
        if (strcmp(rules->calls[i].id, id) == 0)
            return &rules->calls[i];
    return NULL;
}

int prop_deadline_check(const struct prop_rules *rules, const char *call,
                        const char *track, time_t now, bool is_secretariat, bool *late)
{
    *late = false;
    const struct prop_call *c = prop_rules_call_find(rules, call);
    int t = track ? prop_track_parse(track) : -1;
    if (!c || t < 0)
        return STDTAX_EINVAL;
    time_t deadline = c->deadline[t];
    if (deadline == 0 || now <= deadline)
        return 0;
    if (!is_secretariat)
        return STDTAX_ELATE;
    *late = true;
    return 0;
}
