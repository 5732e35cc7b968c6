"""Generated proposals for the CLI tests and the import benchmark: variations of the two
valid examples in tests/data, spread over the taxonomy by their titles and scopes."""

import copy
import json
import os

SRCDIR = os.environ.get("STDTAX_SRCDIR", ".")
DATA = os.path.join(SRCDIR, "tests", "data")

with open(os.path.join(DATA, "proposal-local.json"), encoding="utf-8") as f:
    LOCAL = json.load(f)
with open(os.path.join(DATA, "proposal-group.json"), encoding="utf-8") as f:
    GROUP = json.load(f)

# (title, scope): subjects of different categories of the taxonomy.
SUBJECTS = [
    ("人工智能芯片 性能测试方法", "本标准规定了人工智能芯片的算力、能效和精度的测试方法。"),
    ("服务机器人 安全要求", "本标准规定了服务机器人的机械安全、电气安全和功能安全要求。"),
    ("计算机视觉 人脸识别系统 技术要求", "本标准规定了人脸识别系统的识别准确率和活体检测要求。"),
    ("智能语音 语音识别 评测方法", "本标准规定了语音识别系统的词错误率测试方法和测试集。"),
    ("大模型 训练数据 质量评价", "本标准规定了大模型训练数据的质量指标和评价方法。"),
    ("智能网联汽车 自动驾驶 仿真测试", "本标准规定了自动驾驶系统在仿真环境中的测试场景和评价。"),
    ("智慧医疗 医学影像辅助诊断 软件要求", "本标准规定了医学影像辅助诊断软件的性能和临床评价。"),
    ("知识图谱 构建规范", "本标准规定了知识图谱的本体设计、知识抽取和质量评估要求。"),
    ("生成式人工智能 内容安全 评估指南", "本标准给出生成式人工智能服务内容安全评估的指标和流程。"),
    ("智能制造 工业视觉检测 系统要求", "本标准规定了工业视觉缺陷检测系统的检测精度和部署要求。"),
]


def proposal(i, track=None, call="2023"):
    """The i-th generated proposal (a new dict): distinct title, organisation and
    e-mail, so every one has its own content."""
    track = track or ("local" if i % 2 == 0 else "group")
    p = copy.deepcopy(LOCAL if track == "local" else GROUP)
    title, scope = SUBJECTS[i % len(SUBJECTS)]
    p["call"] = call
    p["title"] = "%s 第%d部分" % (title, i + 1)
    p["title_en"] = "Artificial intelligence - Part %d" % (i + 1)
    p["scope"] = scope
    p["organisation"] = "上海测试%d号人工智能有限公司" % i
    p["contact"]["email"] = "contact%d@example.com" % i
    return p


def jsonl(proposals):
    return "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in proposals)


def on_time_taxonomy(path):
    """Writes a copy of the shipped taxonomy whose 2023 deadlines lie in 2099, so that
    proposals to call 2023 are on time; returns path."""
    src = os.path.join(SRCDIR, "taxonomy", "shanghai-ai-2023.json")
    with open(src, encoding="utf-8") as f:
        text = f.read()
    for d in ("2023-09-12T23:59:59+08:00", "2023-10-31T23:59:59+08:00"):
        assert d in text, d
        text = text.replace(d, "2099" + d[4:])
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path
