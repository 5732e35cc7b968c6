/* The status of a stored proposal: codes, Chinese labels and the moves a secretariat
 * may make between them (doc/proposals.md). */
#include "stdtax/proposal.h"

#include <string.h>

static const struct {
    const char *code, *label;
    unsigned next; /* bit set of allowed targets */
} statuses[PROP_ST_COUNT] = {
#define ST(x) (1u << PROP_ST_##x)
    [PROP_ST_SUBMITTED] = {"submitted", "已提交",
                           ST(UNDER_REVIEW) | ST(RECOMMENDED_LOCAL) |
                               ST(RECOMMENDED_GROUP) | ST(REJECTED) | ST(WITHDRAWN)},
    [PROP_ST_UNDER_REVIEW] = {"under-review", "评审中",
                              ST(RECOMMENDED_LOCAL) | ST(RECOMMENDED_GROUP) |
                                  ST(REJECTED) | ST(WITHDRAWN)},
    [PROP_ST_RECOMMENDED_LOCAL] = {"recommended-local", "推荐地标",
                                   ST(UNDER_REVIEW) | ST(RECOMMENDED_GROUP) |
                                       ST(WITHDRAWN)},
    [PROP_ST_RECOMMENDED_GROUP] = {"recommended-group", "推荐团标",
                                   ST(UNDER_REVIEW) | ST(RECOMMENDED_LOCAL) |
                                       ST(WITHDRAWN)},
    [PROP_ST_REJECTED] = {"rejected", "未入选", ST(UNDER_REVIEW)},
    /* Withdrawal can be undone, in case the secretariat withdrew the wrong one. */
    [PROP_ST_WITHDRAWN] = {"withdrawn", "已撤回", ST(SUBMITTED)},
#undef ST
};

int prop_status_parse(const char *s)
{
    if (!s)
        return -1;
    for (int i = 0; i < PROP_ST_COUNT; i++)
        if (strcmp(s, statuses[i].code) == 0 || strcmp(s, statuses[i].label) == 0)
            return i;
    return -1;
}

const char *prop_status_code(enum prop_status st)
{
    return (unsigned)st < PROP_ST_COUNT ? statuses[st].code : NULL;
}

const char *prop_status_label(enum prop_status st)
{
    return (unsigned)st < PROP_ST_COUNT ? statuses[st].label : NULL;
}

bool prop_status_transition_allowed(enum prop_status from, enum prop_status to)
{
    if ((unsigned)from >= PROP_ST_COUNT || (unsigned)to >= PROP_ST_COUNT)
        return false;
    return (statuses[from].next >> to) & 1u;
}
