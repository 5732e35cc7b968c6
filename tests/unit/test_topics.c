/* Priority topics by their own evidence (issue 17): a topic is counted only when the
 * text carries one of the topic's terms, not because the text was put in its node. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "stdtax/classifier.h"
#include "stdtax/jsonw.h"
#include "stdtax/taxonomy.h"

#define TAXONOMY STDTAX_SRCDIR "/taxonomy/shanghai-ai-2023.json"
#define MODEL STDTAX_SRCDIR "/taxonomy/model-2023.json"

static struct clf_engine *engine;

static void setup(void)
{
    struct stdtax_error err = {0};
    cr_assert_eq(clf_engine_load(TAXONOMY, MODEL, &engine, NULL, &err), 0, "%s",
                 err.text);
}

static void teardown(void)
{
    clf_engine_free(engine);
}

TestSuite(topics, .init = setup, .fini = teardown);

static struct clf_input input(const char *title, const char *scope)
{
    struct clf_input in = {{title, NULL, scope, NULL}, {0}};
    for (int f = 0; f < MODEL_FIELD_COUNT; f++)
        in.len[f] = in.field[f] ? strlen(in.field[f]) : 0;
    return in;
}

/* The topic of code in r's priority_topics, or NULL. */
static const json_t *topic_in(const json_t *topics, const char *code)
{
    size_t i;
    const json_t *t;
    json_array_foreach(
        topics, i,
        t) if (strcmp(json_string_value(json_object_get(t, "code")), code) == 0) return t;
    return NULL;
}

static json_t *classify(struct clf_input in)
{
    json_t *r = NULL;
    struct stdtax_error err = {0};
    cr_assert_eq(clf_text_classify(engine, &in, &r, &err), 0, "%s", err.text);
    return r;
}

static const char *subcategory_of(const json_t *r)
{
    return json_string_value(json_object_get(json_object_get(r, "subcategory"), "code"));
}

Test(topics, generic_manufacturing_is_not_general_ai_for_manufacturing)
{
    json_t *r =
        classify(input("智能制造 工业机器视觉缺陷检测系统技术要求",
                       "规定了工业生产线上基于机器视觉的产品缺陷检测系统的要求。"));
    cr_assert_str_eq(subcategory_of(r), "industry.manufacturing");
    cr_expect_null(topic_in(json_object_get(r, "priority_topics"), "agi-manufacturing"));
    json_decref(r);

    r = classify(input("工业制造大模型应用技术要求",
                       "规定了面向工业制造业的大模型在工艺设计和生产调度中的应用要求。"));
    cr_assert_str_eq(subcategory_of(r), "industry.manufacturing");
    const json_t *t =
        topic_in(json_object_get(r, "priority_topics"), "agi-manufacturing");
    cr_assert_not_null(t);
    /* the record keeps which terms made the topic */
    const json_t *ev = json_array_get(json_object_get(t, "evidence"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(ev, "term")), "大模型");
    cr_expect_str_eq(json_string_value(json_object_get(ev, "field")), "title");
    json_decref(r);
}

Test(topics, generative_ai_security_is_not_all_data_security)
{
    json_t *r =
        classify(input("人工智能训练数据安全要求",
                       "规定了人工智能训练数据的采集、标注和存储中的数据安全要求。"));
    cr_assert_str_eq(subcategory_of(r), "safety.data-algorithm-model");
    json_t *topics = json_object_get(r, "priority_topics");
    cr_expect_not_null(topic_in(topics, "data-algorithm-model-security"));
    cr_expect_null(topic_in(topics, "genai-security"));
    json_decref(r);

    r = classify(input("生成式人工智能服务内容安全要求",
                       "规定了生成式人工智能服务的训练数据安全和生成内容安全要求。"));
    cr_assert_str_eq(subcategory_of(r), "safety.data-algorithm-model");
    cr_expect_not_null(topic_in(json_object_get(r, "priority_topics"), "genai-security"));
    json_decref(r);
}

Test(topics, a_transport_proposal_is_not_intelligent_driving_without_driving)
{
    json_t *r = classify(input("城市道路交通信号智能配时系统技术要求", NULL));
    cr_expect_null(
        topic_in(json_object_get(r, "priority_topics"), "intelligent-driving"));
    json_decref(r);
}

Test(topics, evidence_outside_the_topics_nodes_counts_nothing)
{
    /* 大模型 is evidence of three topics; in a security node only genai-security is a
     * candidate, and with no node of the topic the text counts under none. */
    struct clf_input in = input("大模型训练平台技术要求", NULL);
    const struct tax_taxonomy *tax = clf_engine_taxonomy(engine);
    json_t *topics = NULL;
    struct stdtax_error err = {0};
    cr_assert_eq(
        clf_text_topics(engine, &in, tax_node_find(tax, "other"), NULL, &topics, &err),
        0);
    cr_expect_eq(json_array_size(topics), 0);
    json_decref(topics);
    cr_assert_eq(clf_text_topics(engine, &in, tax_node_find(tax, "industry"),
                                 tax_node_find(tax, "industry.manufacturing"), &topics,
                                 &err),
                 0);
    cr_expect_eq(json_array_size(topics), 1);
    cr_expect_not_null(topic_in(topics, "agi-manufacturing"));
    json_decref(topics);
}

/* The written result (clf_text_classify_write) names the same topics and terms. */
Test(topics, writer_names_the_same_topics)
{
    struct clf_input in = input("生成式人工智能服务内容安全要求", "深度合成内容标识");
    json_t *r = classify(in);
    struct jsonw w;
    struct stdtax_error err = {0};
    jsonw_init(&w, JSONW_PRECISION_ANSWER, 0);
    cr_assert_eq(clf_text_classify_write(engine, &in, &w, &err), 0);
    jsonw_object_end(&w);
    json_t *back = json_loadb(w.data, w.len, 0, NULL);
    cr_assert_not_null(back);
    cr_expect(json_equal(json_object_get(back, "priority_topics"),
                         json_object_get(r, "priority_topics")));
    json_decref(back);
    json_decref(r);
    jsonw_free(&w);
}
