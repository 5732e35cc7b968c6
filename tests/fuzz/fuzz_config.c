/* libFuzzer target for the config-file parser (src/daemon/settings.c).
 * Build and run (not part of make check):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *     -Isrc/daemon tests/fuzz/fuzz_config.c src/daemon/settings.c src/lib/error.c \
 *     $(pkg-config --cflags --libs jansson) -o tests/fuzz/fuzz_config
 *   tests/fuzz/fuzz_config -max_total_time=60 */
#include <stddef.h>
#include <stdint.h>

#include "settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stdtax_config cfg;
    struct stdtax_error err;
    if (cfg_config_init(&cfg) != 0)
        return 0;
    cfg_text_parse(&cfg, "fuzz.conf", (const char *)data, size, &err);
    cfg_config_check(&cfg, &err);
    cfg_config_free(&cfg);
    return 0;
}
