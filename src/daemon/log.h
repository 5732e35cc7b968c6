/* The daemon's logger: one line per event on stderr, gated by level (redis
 * serverLog).  journald adds the time; on a terminal, or with
 * `log-timestamps yes`, lines start with an ISO 8601 UTC time. */
#ifndef STDTAXD_LOG_H
#define STDTAXD_LOG_H

#include "settings.h"

/* Set once at start-up, before any thread runs. */
void log_setup(enum cfg_log_level level, int timestamps);

/* Routes libevent's own messages through log_write (component "libevent"). */
void log_libevent_route(void);

extern enum cfg_log_level log_level_current;

/* Writes one line "LEVEL component: message" with a single write(2), so lines from
 * different threads never interleave.  Newlines and control characters in the
 * message are escaped. */
void log_write(enum cfg_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The macro keeps the argument evaluation behind the level test. */
#define LOG(level, component, ...)                                                       \
    do {                                                                                 \
        if ((level) <= log_level_current)                                                \
            log_write((level), (component), __VA_ARGS__);                                \
    } while (0)

#define LOG_ERROR(c, ...) LOG(CFG_LOG_ERROR, c, __VA_ARGS__)
#define LOG_WARN(c, ...) LOG(CFG_LOG_WARN, c, __VA_ARGS__)
#define LOG_INFO(c, ...) LOG(CFG_LOG_INFO, c, __VA_ARGS__)
#define LOG_DEBUG(c, ...) LOG(CFG_LOG_DEBUG, c, __VA_ARGS__)

#endif
