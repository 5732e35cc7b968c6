#include <criterion/criterion.h>
#include <string.h>

#include "settings.h"

static struct stdtax_config cfg;
static struct stdtax_error err;

static void setup(void)
{
    memset(&err, 0, sizeof err);
    cr_assert_eq(cfg_config_init(&cfg), 0);
}

static void teardown(void)
{
    cfg_config_free(&cfg);
}

static int parse(const char *text)
{
    return cfg_text_parse(&cfg, "t.conf", text, strlen(text), &err);
}

TestSuite(config, .init = setup, .fini = teardown);

Test(config, defaults_are_documented_values)
{
    cr_expect_str_eq(cfg.listen, "127.0.0.1");
    cr_expect_eq(cfg.port, 8080);
    cr_expect_eq(cfg.workers, 0);
    cr_expect_eq(cfg.max_body, 1024 * 1024);
    cr_expect_eq(cfg.max_header, 16 * 1024);
    cr_expect_eq(cfg.max_connections, 1024);
    cr_expect_eq(cfg.idle_timeout, 60);
    cr_expect_eq(cfg.read_timeout, 30);
    cr_expect_eq(cfg.batch_max, 100);
    cr_expect_eq(cfg.log_level, CFG_LOG_INFO);
    cr_expect_not(cfg.require_read_token);
    cr_expect_eq(cfg.n_tokens, 0);
    cr_expect_eq(cfg.n_cors_origins, 0);
}

Test(config, parses_every_value_type)
{
    const char *text = "# a comment\n"
                       "\n"
                       "listen 0.0.0.0:9000   # trailing comment\n"
                       "workers 3\n"
                       "max-body 512k\n"
                       "max-header 32KiB\n"
                       "idle-timeout 2m\n"
                       "require-read-token yes\n"
                       "log-level debug\n"
                       "log-timestamps auto\n"
                       "data-dir \"/tmp/a dir/x\"\n"
                       "cors-origin https://example.org\n"
                       "cors-origin http://localhost:3000\r\n";
    cr_assert_eq(parse(text), 0, "%s: %s", err.field, err.text);
    cr_expect_str_eq(cfg.listen, "0.0.0.0");
    cr_expect_eq(cfg.port, 9000);
    cr_expect_eq(cfg.workers, 3);
    cr_expect_eq(cfg.max_body, 512 * 1024);
    cr_expect_eq(cfg.max_header, 32 * 1024);
    cr_expect_eq(cfg.idle_timeout, 120);
    cr_expect(cfg.require_read_token);
    cr_expect_eq(cfg.log_level, CFG_LOG_DEBUG);
    cr_expect_eq(cfg.log_timestamps, -1);
    cr_expect_str_eq(cfg.data_dir, "/tmp/a dir/x");
    cr_assert_eq(cfg.n_cors_origins, 2);
    cr_expect_str_eq(cfg.cors_origins[1], "http://localhost:3000");
}

Test(config, bad_line_names_file_line_and_reason)
{
    cr_assert_eq(parse("port 8080\n\nport 70000\n"), STDTAX_EINVAL);
    cr_expect_str_eq(err.field, "t.conf:3");
    cr_expect(strstr(err.text, "out of range") != NULL, "%s", err.text);

    cr_assert_neq(parse("prot 80\n"), 0);
    cr_expect_str_eq(err.field, "t.conf:1");
    cr_expect(strstr(err.text, "unknown directive 'prot'") != NULL, "%s", err.text);
}

Test(config, rejects_malformed_values)
{
    const char *bad[] = {
        "port -1\n",         "port 12x\n",
        "workers\n",         "workers 1 2\n",
        "max-body 10\n",     "max-body 1T\n",
        "log-level loud\n",  "require-read-token maybe\n",
        "listen [::1\n",     "listen a b\n",
        "data-dir \"open\n", "cors-origin example.org\n",
        "idle-timeout 5x\n", "port 99999999999999999999999\n",
        "listen 1.2.3.4:\n", "log-level \"debug\"x\n",
        "port 80\x01\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg_config_free(&cfg);
        cfg_config_init(&cfg);
        cr_expect_neq(parse(bad[i]), 0, "accepted: %s", bad[i]);
        cr_expect_str_eq(err.field, "t.conf:1", "for %s", bad[i]);
    }
}

Test(config, tokens_with_and_without_name)
{
    cr_assert_eq(parse("token ci submit 0123456789abcdef0123\n"
                       "token admin fedcba9876543210fedc\n"),
                 0, "%s", err.text);
    cr_assert_eq(cfg.n_tokens, 2);
    cr_expect_str_eq(cfg.tokens[0].name, "ci");
    cr_expect_eq(cfg.tokens[0].scope, CFG_SCOPE_SUBMIT);
    cr_expect_eq(cfg.tokens[1].scope, CFG_SCOPE_ADMIN);
    cr_expect_str_eq(cfg.tokens[1].name, "admin-2");
    cr_expect_eq(cfg.tokens[1].secret_len, 20);
}

Test(config, tokens_are_validated)
{
    const char *bad[] = {
        "token ci reader 0123456789abcdef0123\n",  /* unknown scope */
        "token ci submit short\n",                 /* secret too short */
        "token ci\n",                              /* missing words */
        "token a/b submit 0123456789abcdef0123\n", /* bad name */
        "token x submit 0123456789abcdef0123\ntoken x admin 0123456789abcdef9999\n",
        "token x submit 0123456789abcdef0123\ntoken y admin 0123456789abcdef0123\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg_config_free(&cfg);
        cfg_config_init(&cfg);
        cr_expect_neq(parse(bad[i]), 0, "accepted: %s", bad[i]);
        cr_expect(strstr(err.text, "token") != NULL, "%s", err.text);
        /* The message must never quote the secret. */
        cr_expect(strstr(err.text, "0123456789abcdef") == NULL, "%s", err.text);
    }
}

Test(config, flags_override_file_and_replace_lists)
{
    cr_assert_eq(parse("port 9000\ncors-origin https://a.example\n"), 0);
    char *port[] = {"9100"};
    char *origin[] = {"https://b.example"};
    cr_assert_eq(
        cfg_directive_set(&cfg, "port", 1, port, CFG_SOURCE_FLAG, "--port", &err), 0);
    cr_assert_eq(cfg_directive_set(&cfg, "cors-origin", 1, origin, CFG_SOURCE_FLAG,
                                   "--cors-origin", &err),
                 0);
    cr_expect_eq(cfg.port, 9100);
    cr_assert_eq(cfg.n_cors_origins, 1);
    cr_expect_str_eq(cfg.cors_origins[0], "https://b.example");
    /* A default applied late never overrides the file or a flag. */
    char *p2[] = {"1"};
    cr_assert_eq(cfg_directive_set(&cfg, "port", 1, p2, CFG_SOURCE_DEFAULT, "d", &err),
                 0);
    cr_expect_eq(cfg.port, 9100);
}

Test(config, listen_with_port_respects_precedence)
{
    char *flag[] = {"9200"};
    cr_assert_eq(
        cfg_directive_set(&cfg, "port", 1, flag, CFG_SOURCE_FLAG, "--port", &err), 0);
    cr_assert_eq(parse("listen 10.0.0.1:9000\n"), 0);
    cr_expect_str_eq(cfg.listen, "10.0.0.1");
    cr_expect_eq(cfg.port, 9200);
}

Test(config, listen_split_forms)
{
    char host[64];
    unsigned port = 1;
    bool has;
    cr_assert_eq(cfg_listen_split("[::1]:8081", host, sizeof host, &port, &has), 0);
    cr_expect_str_eq(host, "::1");
    cr_expect_eq(port, 8081);
    cr_expect(has);
    cr_assert_eq(cfg_listen_split("::", host, sizeof host, &port, &has), 0);
    cr_expect_str_eq(host, "::");
    cr_expect_not(has);
    cr_assert_eq(cfg_listen_split("localhost", host, sizeof host, &port, &has), 0);
    cr_expect_neq(cfg_listen_split("[::1]x", host, sizeof host, &port, &has), 0);
    cr_expect_neq(cfg_listen_split("a b", host, sizeof host, &port, &has), 0);
    cr_expect_neq(cfg_listen_split(":80", host, sizeof host, &port, &has), 0);
}

Test(config, check_needs_paths_and_port_file_for_port_zero)
{
    cr_expect_neq(cfg_config_check(&cfg, &err), 0);
    cr_assert_eq(parse("data-dir /d\ntaxonomy /t.json\nopenapi /o.json\n"), 0);
    cr_expect_eq(cfg_config_check(&cfg, &err), 0, "%s", err.text);
    cr_assert_eq(parse("port 0\n"), 0);
    cr_expect_neq(cfg_config_check(&cfg, &err), 0);
    cr_assert_eq(parse("port-file /tmp/p\n"), 0);
    cr_expect_eq(cfg_config_check(&cfg, &err), 0);
}

Test(config, long_lines_and_control_bytes_are_refused)
{
    char big[CFG_LINE_MAX + 32];
    memset(big, 'a', sizeof big - 2);
    big[sizeof big - 2] = '\n';
    big[sizeof big - 1] = '\0';
    cr_expect_eq(parse(big), STDTAX_ETOOBIG);
    cr_expect_eq(cfg_text_parse(&cfg, "t.conf", "port 1\0 2\n", 10, &err), STDTAX_EPARSE);
}

Test(config, missing_file_is_reported)
{
    cr_expect_eq(cfg_file_load(&cfg, "/nonexistent/stdtaxd.conf", &err),
                 STDTAX_ENOTFOUND);
    cr_expect_str_eq(err.field, "/nonexistent/stdtaxd.conf");
}
