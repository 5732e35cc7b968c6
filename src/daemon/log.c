#include "log.h"

#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Process-wide by nature (one stderr); written only before threads start. */
enum cfg_log_level log_level_current = CFG_LOG_INFO;
static int log_timestamps;

void log_setup(enum cfg_log_level level, int timestamps)
{
    log_level_current = level;
    log_timestamps = timestamps < 0 ? isatty(STDERR_FILENO) : timestamps;
}

static const char *const level_tags[] = {"error", "warn", "info", "debug"};

void log_write(enum cfg_log_level level, const char *component, const char *fmt, ...)
{
    char msg[2048];
    char line[4096];
    size_t n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    if (log_timestamps) {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n += strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
        n +=
            (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ ", ts.tv_nsec / 1000000);
    }
    int k = snprintf(line + n, sizeof line - n,
                     "%s %s: ", level_tags[(unsigned)level < 4 ? level : CFG_LOG_INFO],
                     component);
    if (k > 0)
        n += (size_t)k;
    /* Escape so that one event stays one line whatever a client sent us. */
    static const char hex[] = "0123456789abcdef";
    for (const unsigned char *p = (const unsigned char *)msg; *p && n + 5 < sizeof line;
         p++) {
        if (*p < 0x20 || *p == 0x7f) {
            line[n++] = '\\';
            line[n++] = 'x';
            line[n++] = hex[*p >> 4];
            line[n++] = hex[*p & 15];
        } else {
            line[n++] = (char)*p;
        }
    }
    line[n++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w; /* nowhere to report a failing stderr */
}

static void libevent_log_cb(int severity, const char *msg)
{
    enum cfg_log_level level = severity >= EVENT_LOG_ERR    ? CFG_LOG_ERROR
                               : severity == EVENT_LOG_WARN ? CFG_LOG_WARN
                               : severity == EVENT_LOG_MSG  ? CFG_LOG_INFO
                                                            : CFG_LOG_DEBUG;
    LOG(level, "libevent", "%s", msg);
}

void log_libevent_route(void)
{
    event_set_log_callback(libevent_log_cb);
}
