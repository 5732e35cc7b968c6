#!/usr/bin/env python3
"""Writes the intake corpus of issue 20 (run from the source tree; the output is
committed, this script says how it was made):

  accepted/NN-*.json  filled forms of both tracks, written as proposers write them
                      (extensions, full-width characters, empty optional boxes, long
                      organisation names, several seconding units): all accepted;
  refused/NN-*.json   forms with one real mistake each;
  refused.json        [{"file", "pointer", "rule", "why"}]: the one problem each gets.

Every organisation, person, address, phone number and e-mail address is invented
(e-mail domains are example.cn / example.com / example.org); the titles and scopes are
written in the style of real AI standards."""

import copy
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# Subjects: (title, title_en, purpose, scope, situation), one per form.
SUBJECTS = [
    ("人工智能 大模型 推理服务性能测试方法",
     "Artificial intelligence - Large models - Test methods for inference service performance",
     "大模型推理服务已在本市政务、金融和客服场景规模部署，但首字延迟、吞吐量和并发能力的测试口径不一，用户难以比较不同服务。制定本标准可统一测试负载、指标和报告方式。",
     "本标准规定了大模型推理服务性能测试的测试环境、测试负载、指标（首字延迟、每秒输出词元数、并发请求数、错误率）和测试流程。\n适用于大模型推理服务提供者和第三方测试机构。",
     "国际上 MLCommons 发布了 MLPerf Inference 基准；国内尚无针对大模型推理服务的国家标准或行业标准。本标准参考上述基准的负载设计，不涉及知识产权问题。"),
    ("智能网联汽车 自动驾驶数据记录系统 数据格式",
     "Intelligent and connected vehicles - Data storage system for automated driving - Data format",
     "自动驾驶事故调查和责任认定需要统一格式的行驶数据。本市测试示范区各企业记录格式不同，数据交换成本高。",
     "本标准规定了自动驾驶数据记录系统记录的数据元素、数据格式、时间同步要求和数据导出接口。\n适用于在本市开展道路测试和示范应用的智能网联汽车。",
     "GB 44497-2024《智能网联汽车 自动驾驶数据记录系统》规定了记录要求，本标准细化其数据格式和导出接口，与之协调一致。"),
    ("服务机器人 室内配送机器人 安全要求",
     "Service robots - Indoor delivery robots - Safety requirements",
     "室内配送机器人在医院、酒店和写字楼大量使用，与行人共享通道，碰撞、夹伤和电梯乘用风险突出，需统一安全要求。",
     "本标准规定了室内配送机器人的机械安全、电气安全、避障与速度限制、乘梯安全和网络安全要求及试验方法。",
     "ISO 13482:2014 规定了个人护理机器人的安全要求；GB/T 36530-2018 规定了服务机器人安全要求。本标准针对室内配送场景细化，修改采用 ISO 13482 的部分条款。"),
    ("计算机视觉 视频结构化分析系统 技术要求",
     "Computer vision - Video structured analysis systems - Technical requirements",
     "城市视频资源规模庞大，视频结构化分析系统在交通和城市管理中广泛应用，但属性识别准确率和接口缺少统一要求。",
     "本标准规定了视频结构化分析系统的功能要求、性能指标（目标检测率、属性识别准确率、处理路数）、接口要求和测试方法。",
     "国内已有 GB/T 28181 规定视频联网接口，但未规定结构化分析的性能要求。本标准与之配合使用。"),
    ("智能语音 方言语音识别 评测方法",
     "Intelligent speech - Dialect speech recognition - Evaluation methods",
     "上海话等方言的语音识别需求来自为老服务和公共热线，评测集和指标不统一导致产品宣称难以比较。",
     "本标准规定了方言语音识别系统的评测数据集构建、字错误率计算、噪声与口音条件下的鲁棒性评测方法。",
     "国内已有普通话语音识别评测相关行业标准，尚无方言识别评测标准。本标准在其基础上扩展方言评测内容。"),
    ("知识图谱 企业知识图谱构建 质量评价",
     "Knowledge graph - Construction of enterprise knowledge graphs - Quality evaluation",
     "企业构建知识图谱用于风控、客服和研发，但缺少对知识准确性、完整性和时效性的评价方法。",
     "本标准规定了企业知识图谱的质量模型、质量指标、评价方法和评价流程。\n适用于知识图谱的建设方、使用方和第三方评价机构。",
     "GB/T 42131-2022《人工智能 知识图谱技术框架》给出了技术框架，本标准聚焦质量评价，与之协调。"),
    ("生成式人工智能 训练数据 合规标注指南",
     "Generative artificial intelligence - Training data - Guidelines for compliant annotation",
     "《生成式人工智能服务管理暂行办法》要求对训练数据进行标注并制定标注规则。企业对标注规则、人员培训和质量核验的做法不一。",
     "本标准给出生成式人工智能训练数据标注的规则制定、标注人员管理、标注质量核验和记录保存的指南。",
     "TC260 发布了生成式人工智能服务安全基本要求，本标准细化其中数据标注部分，不涉及专利。"),
    ("智能制造 工业视觉缺陷检测系统 通用技术要求",
     "Intelligent manufacturing - Industrial visual defect inspection systems - General technical requirements",
     "工业视觉检测替代人工目检已在电子、汽车零部件行业普及，漏检率和误检率的定义与测试方法各异。",
     "本标准规定了工业视觉缺陷检测系统的组成、功能、性能（漏检率、误检率、检测节拍）要求和试验方法。",
     "国际电工委员会正在研究机器视觉相关标准；国内有机器视觉术语标准，但无缺陷检测系统通用要求。"),
    ("智慧医疗 医学影像辅助诊断软件 临床评价指南",
     "Smart healthcare - Medical imaging computer-aided diagnosis software - Guidelines for clinical evaluation",
     "医学影像辅助诊断软件进入本市医院临床使用，医院需要统一的院内评价方法来决定采购和使用。",
     "本标准给出医学影像辅助诊断软件临床评价的研究设计、数据集要求、金标准确定、统计指标和报告要求。",
     "国家药品监督管理局发布了人工智能医疗器械审评要点；本标准面向医疗机构的使用评价，与注册审评互补。"),
    ("人工智能芯片 端侧推理芯片 能效测试方法",
     "Artificial intelligence chips - Edge inference chips - Test methods for energy efficiency",
     "端侧推理芯片广泛用于摄像头、机器人和车载设备，厂商宣称的 TOPS/W 口径不一，需要统一的能效测试方法。",
     "本标准规定了端侧推理芯片能效测试的测试模型集、精度约束、功耗测量方法和结果计算。",
     "国内已发布人工智能芯片基准测试相关团体标准；本标准聚焦端侧能效，与之配合使用。"),
    ("智慧城市 城市运行数字孪生 模型分级要求",
     "Smart city - Digital twin for city operation - Requirements for model grading",
     "本市推进城市数字化转型，城市运行数字孪生模型精度和更新频率差异很大，需分级要求指导建设。",
     "本标准规定了城市运行数字孪生模型的分级原则、各级别的几何精度、语义丰富度、数据更新频率要求。",
     "ISO/IEC 30173 正在制定数字孪生概念与术语；国内有智慧城市数字孪生相关国家标准计划。本标准细化模型分级。"),
    ("人工智能 算法备案 材料编写指南",
     "Artificial intelligence - Algorithm filing - Guidelines for preparing filing materials",
     "算法备案是深度合成和推荐算法服务提供者的法定义务，企业对备案材料的内容和深度把握不准。",
     "本标准给出算法备案材料的组成、算法基本原理说明、安全自评估报告和拟公示内容的编写要求。",
     "国家互联网信息办公室发布了算法备案相关规定；本标准为其配套的实施指南，不与现行标准重复。"),
    ("具身智能 人形机器人 运动能力测试方法",
     "Embodied intelligence - Humanoid robots - Test methods for locomotion capability",
     "人形机器人产业在本市快速发展，行走、上下楼梯、抗扰动等运动能力缺少统一测试方法。",
     "本标准规定了人形机器人运动能力测试的测试场地、测试项目（平地行走、坡道、台阶、抗推扰）、指标和测试流程。",
     "国际上尚无人形机器人运动能力测试标准；国内正在组织人形机器人标准体系研究，本标准为其中一项。"),
    ("多模态大模型 图文理解能力 评测规范",
     "Multimodal large models - Image-text understanding capability - Evaluation specification",
     "多模态大模型在文档理解、商品识别等场景应用增多，评测基准分散，结果不可比。",
     "本标准规定了多模态大模型图文理解能力的评测维度、评测数据集要求、评分方法和报告格式。",
     "国内外已有多个学术评测基准；本标准统一评测维度和方法，不采用国际标准。"),
    ("人工智能 模型安全 对抗样本鲁棒性测试方法",
     "Artificial intelligence - Model security - Test methods for robustness against adversarial examples",
     "对抗样本可使图像识别和语音识别模型失效，金融和交通等领域亟需统一的鲁棒性测试方法。",
     "本标准规定了对抗样本鲁棒性测试的威胁模型、攻击方法集、扰动预算、指标和测试报告。",
     "ISO/IEC TR 24029-1 给出了神经网络鲁棒性评估概述；本标准非等效采用其方法框架。"),
    ("智能客服 大模型客服系统 服务质量评价",
     "Intelligent customer service - Large model based customer service systems - Service quality evaluation",
     "大模型客服系统在银行、运营商和电商大量上线，幻觉回答和转人工不及时影响用户权益。",
     "本标准规定了大模型客服系统服务质量的评价指标（问题解决率、回答准确率、转人工及时率、满意度）和评价方法。",
     "国内已有客户联络中心服务标准，未涉及大模型客服的特有风险。本标准与之衔接。"),
    ("智慧交通 信号控制 人工智能优化系统 技术要求",
     "Smart transportation - Traffic signal control - Technical requirements for AI-based optimisation systems",
     "本市多个区试点人工智能信号配时优化，效果评价和系统接口不统一，难以推广。",
     "本标准规定了人工智能交通信号优化系统的功能、性能、与信号机的接口以及效果评价方法。",
     "GB/T 20999 规定了交通信号控制机与上位机间的通信协议，本标准与之兼容。"),
    ("人工智能 数据标注 众包平台管理规范",
     "Artificial intelligence - Data annotation - Management specification for crowdsourcing platforms",
     "数据标注众包平台用工规模大，任务分发、质量控制和个人信息保护缺少统一管理要求。",
     "本标准规定了数据标注众包平台的任务管理、标注员管理、质量控制、数据安全和个人信息保护要求。",
     "国内已发布数据标注相关团体标准，未覆盖众包平台管理。本标准填补该空白。"),
    ("人工智能 大模型 检索增强生成系统 技术要求",
     "Artificial intelligence - Large models - Technical requirements for retrieval-augmented generation systems",
     "企业知识库问答大量采用检索增强生成架构，检索质量和引用可追溯性缺少要求。",
     "本标准规定了检索增强生成系统的知识库管理、检索、生成、引用溯源和评测要求。",
     "国内外尚无检索增强生成系统标准，本标准参考学术界评测方法制定。"),
    ("智能家居 语音交互 隐私保护要求",
     "Smart home - Voice interaction - Privacy protection requirements",
     "智能音箱和家电语音交互持续采集家庭语音，用户对录音上传和保存缺少知情与控制。",
     "本标准规定了智能家居语音交互的唤醒、录音、上传、存储、删除环节的隐私保护要求和验证方法。",
     "GB/T 35273《信息安全技术 个人信息安全规范》给出通用要求，本标准针对语音交互细化。"),
    ("人工智能 伦理审查 企业内部审查流程指南",
     "Artificial intelligence - Ethics review - Guidelines for internal review processes of enterprises",
     "《科技伦理审查办法（试行）》要求相关单位设立科技伦理委员会，企业对人工智能项目的审查流程缺少参照。",
     "本标准给出企业开展人工智能伦理审查的组织、审查范围、审查要点、流程和记录要求。",
     "ISO/IEC 42001 规定了人工智能管理体系；本标准聚焦伦理审查流程，可与之配合使用。"),
    ("智能金融 信贷风控模型 可解释性要求",
     "Intelligent finance - Credit risk control models - Explainability requirements",
     "机器学习信贷风控模型决策不透明，消费者对拒贷原因知情权难以保障，监管要求可解释。",
     "本标准规定了信贷风控模型可解释性的分级、解释方法、解释内容和对借款人的告知要求。",
     "JR/T 0221 规定了人工智能算法金融应用评价规范，本标准细化可解释性要求。"),
    ("人工智能 算力调度平台 接口规范",
     "Artificial intelligence - Computing power scheduling platforms - Interface specification",
     "本市建设公共算力调度平台，接入的智算中心接口各异，资源发现和作业迁移困难。",
     "本标准规定了算力调度平台与智算中心之间的资源注册、资源查询、作业提交、计量计费接口。",
     "国内正在制定算力网络相关行业标准，本标准与之协调，面向本市公共算力调度。"),
    ("智慧教育 作业批改系统 准确性评价方法",
     "Smart education - Homework marking systems - Evaluation methods for accuracy",
     "人工智能作业批改在中小学推广，批改准确性直接影响教学，需要统一评价方法。",
     "本标准规定了作业批改系统批改准确性的评价样本、学科覆盖、指标计算和评价流程。",
     "国内已有教育信息化相关标准，无作业批改准确性评价标准。"),
    ("人工智能 深度合成内容 标识方法",
     "Artificial intelligence - Deep synthesis content - Labelling methods",
     "深度合成内容需依法标识，显式标识和隐式标识的技术方法不统一，平台之间无法互认。",
     "本标准规定了深度合成图像、音频、视频和文本内容的显式标识和隐式标识（元数据、数字水印）方法及检测要求。",
     "TC260 发布了生成式人工智能内容标识方法的实践指南，本标准与之一致并细化检测要求。"),
    ("智能农业 病虫害图像识别系统 技术要求",
     "Intelligent agriculture - Image recognition systems for crop pests and diseases - Technical requirements",
     "本市郊区农业推广病虫害智能识别，识别准确率和病虫害种类覆盖缺少统一要求。",
     "本标准规定了病虫害图像识别系统的识别种类、图像采集要求、识别准确率和测试方法。",
     "国内有农业物联网相关标准，尚无病虫害图像识别系统标准。"),
    ("人工智能 模型压缩 量化模型精度评估方法",
     "Artificial intelligence - Model compression - Evaluation methods for the accuracy of quantised models",
     "模型量化是部署大模型和端侧模型的常用手段，量化后精度损失的评估口径不一。",
     "本标准规定了量化模型精度评估的基准模型、评测任务、精度损失指标和报告要求。",
     "国内外尚无模型量化精度评估标准。"),
    ("智慧养老 陪护机器人 功能要求",
     "Smart elderly care - Companion robots - Functional requirements",
     "本市老龄化程度高，陪护机器人进入养老机构和家庭，功能宣称与实际差距大。",
     "本标准规定了陪护机器人的跌倒检测、用药提醒、紧急呼叫、情感陪伴等功能要求和试验方法。",
     "GB/T 36530 规定了服务机器人通用安全要求，本标准补充陪护功能要求。"),
    ("人工智能 开源模型 许可证合规指南",
     "Artificial intelligence - Open-source models - Guidelines for licence compliance",
     "企业大量使用开源模型进行二次开发，模型许可证种类多、限制条款复杂，合规风险高。",
     "本标准给出开源模型许可证识别、使用限制分析、衍生模型发布和合规记录的指南。",
     "开源软件许可证合规已有相关标准，开源模型许可证尚无标准。"),
    ("智能物流 无人仓 作业效率评价方法",
     "Intelligent logistics - Unmanned warehouses - Evaluation methods for operational efficiency",
     "无人仓在本市物流园区建设加快，作业效率评价缺少统一方法，投资决策缺乏依据。",
     "本标准规定了无人仓入库、拣选、出库作业效率的评价指标、数据采集和计算方法。",
     "国内有物流仓储相关国家标准，未涉及无人仓效率评价。"),
    ("人工智能 智能体 工具调用安全要求",
     "Artificial intelligence - AI agents - Security requirements for tool invocation",
     "大模型智能体可调用外部工具执行操作，越权调用和提示注入可能造成实际损失。",
     "本标准规定了智能体工具调用的权限控制、参数校验、人工确认、日志审计和提示注入防护要求。",
     "国内外尚无智能体工具调用安全标准，本标准参考业界安全实践制定。"),
    ("智慧能源 电网负荷预测 人工智能模型 评价方法",
     "Smart energy - Power grid load forecasting - Evaluation methods for AI models",
     "人工智能负荷预测模型在电网调度中应用，预测精度评价口径不同，影响模型选型。",
     "本标准规定了电网负荷预测人工智能模型的评价数据、评价指标（平均绝对百分比误差等）和评价流程。",
     "DL/T 相关标准规定了负荷预测的一般要求，本标准针对人工智能模型细化评价方法。"),
    ("人工智能 语音合成 声音克隆 授权管理要求",
     "Artificial intelligence - Speech synthesis - Authorisation management requirements for voice cloning",
     "声音克隆技术门槛降低，冒用他人声音的诈骗案件增多，需规范授权管理。",
     "本标准规定了声音克隆服务的授权获取、授权核验、授权撤回和使用记录要求。",
     "国内有个人信息保护相关标准，未涉及声音克隆授权。"),
    ("智能建筑 楼宇能耗 人工智能优化控制 技术要求",
     "Intelligent buildings - Building energy - Technical requirements for AI-based optimal control",
     "本市大型公共建筑能耗高，人工智能空调和照明优化控制节能效果缺少验证方法。",
     "本标准规定了楼宇人工智能优化控制系统的功能、节能效果测量与验证方法。",
     "国内有建筑节能相关标准，本标准补充人工智能优化控制要求。"),
    ("人工智能 大模型 幻觉 评测方法",
     "Artificial intelligence - Large models - Evaluation methods for hallucination",
     "大模型幻觉是阻碍其在医疗、法律等严肃场景应用的主要问题，评测方法不统一。",
     "本标准规定了大模型幻觉的分类、评测数据集构建、判定方法和指标计算。",
     "国内外学术界提出多种幻觉评测基准，尚无标准。"),
    ("智能文旅 导览机器人 服务规范",
     "Intelligent culture and tourism - Guide robots - Service specification",
     "导览机器人在本市博物馆和景区使用，讲解准确性和服务礼仪缺少规范。",
     "本标准规定了导览机器人的讲解内容管理、多语种服务、服务礼仪和服务质量评价要求。",
     "国内有旅游服务质量相关标准，未涉及导览机器人。"),
    ("人工智能 联邦学习 平台安全要求",
     "Artificial intelligence - Federated learning - Security requirements for platforms",
     "联邦学习在金融和医疗数据协作中应用，参与方之间的模型窃取和数据推断风险需防范。",
     "本标准规定了联邦学习平台的参与方认证、通信安全、隐私保护计算和审计要求。",
     "IEEE 3652.1 给出联邦学习架构指南；本标准非等效采用其部分内容。"),
    ("智能法律 裁判文书 智能检索系统 技术要求",
     "Intelligent law - Intelligent retrieval systems for judgement documents - Technical requirements",
     "律师事务所和法院使用智能检索系统查找类案，检索相关性和引用准确性缺少要求。",
     "本标准规定了裁判文书智能检索系统的检索功能、相关性评价、引用准确性和数据安全要求。",
     "国内尚无裁判文书智能检索系统标准。"),
    ("人工智能 图像生成模型 版权风险评估指南",
     "Artificial intelligence - Image generation models - Guidelines for copyright risk assessment",
     "图像生成模型可能复现受版权保护的作品，平台和使用者需要评估版权风险的方法。",
     "本标准给出图像生成模型版权风险的识别、相似度检测、风险分级和处置的指南。",
     "国内外尚无相关标准，本标准参考典型司法案例制定。"),
    ("智能政务 热线工单 智能分派系统 技术要求",
     "Intelligent government services - Hotline work orders - Technical requirements for intelligent dispatching systems",
     "12345 市民热线工单量大，人工智能分派准确率影响办理时效，需要统一技术要求。",
     "本标准规定了热线工单智能分派系统的功能、分派准确率、响应时间和人工复核要求。",
     "国内有政务服务热线相关国家标准，本标准补充智能分派要求。"),
    ("人工智能 边缘计算 一体机 通用规范",
     "Artificial intelligence - Edge computing - General specification for all-in-one appliances",
     "人工智能边缘一体机在园区和工厂部署，硬件配置、软件栈和运维接口差异大。",
     "本标准规定了人工智能边缘一体机的硬件、软件、模型管理、远程运维和安全要求。",
     "国内有边缘计算相关行业标准，未针对人工智能一体机。"),
    ("人工智能 大模型 微调服务 数据安全要求",
     "Artificial intelligence - Large models - Data security requirements for fine-tuning services",
     "企业将业务数据上传至大模型微调服务，数据泄露和被用于训练的风险令企业顾虑。",
     "本标准规定了大模型微调服务的数据传输、存储、隔离、删除和不得另作训练用途的要求及验证方法。",
     "GB/T 35273 和数据安全相关国家标准给出通用要求，本标准细化微调服务场景。"),
]

# Invented organisations, people and addresses.
ORGS = [
    "上海澜屿智算科技有限公司",
    "上海青榕智能驾驶技术有限公司",
    "上海弥光机器人有限公司",
    "上海观澄视觉科技有限公司",
    "上海吴音语音技术有限公司",
    "上海知衡图谱信息科技有限公司",
    "上海墨序数据服务有限公司",
    "上海锐检工业智能有限公司",
    "上海明瞳医疗人工智能研究院",
    "上海芯澈半导体有限公司",
    "上海城镜数字孪生科技有限公司",
    "上海衡律算法合规咨询有限公司",
    "上海步衡具身智能科技有限公司",
    "上海汇图多模态智能有限公司",
    "上海安鉴人工智能安全技术有限公司",
    "上海晓答智能客服科技有限公司",
    "上海绿波交通智能科技有限公司",
    "上海众标数据标注服务有限公司",
    "上海溯源知识智能有限公司",
    "上海栖居智能家居有限公司",
    "上海明德人工智能伦理研究中心",
    "上海信衡金融科技有限公司",
    "上海算枢算力网络科技有限公司",
    "上海启思教育科技有限公司",
    "上海真印内容科技有限公司",
    "上海田智农业科技有限公司",
    "上海轻模智能科技有限公司",
    "上海伴老智能科技有限公司",
    "上海开源模型合规服务中心",
    "上海速仓智能物流有限公司",
    "上海守界智能体安全科技有限公司",
    "上海电衡能源智能科技有限公司",
    "上海声契语音科技有限公司",
    "上海楼智建筑科技有限公司",
    "上海真言大模型评测技术有限公司",
    "上海游知文旅智能科技有限公司",
    "上海联盾隐私计算科技有限公司",
    "上海法检智能科技有限公司",
    "上海画权数字版权服务有限公司",
    "上海市民热线智能化工作专班技术支撑单位（上海政数智能科技有限公司）",
    "上海边擎智能设备有限公司",
    "上海微调云数据安全技术有限公司",
]

PEOPLE = ["林晓舟", "沈嘉怡", "顾文涛", "陆诗雨", "钱卫东", "范思琪", "程立群", "许墨白",
          "唐亦凡", "韩佩佩", "曹子昂", "邵敏", "孔令辉", "严可心", "蔡伟明", "潘若溪"]

ADDRESSES = ["上海市浦东新区祖冲之路 1999 号 3 幢 501 室",
             "上海市徐汇区漕河泾开发区宜山路 700 号 B2 栋 12 层",
             "上海市闵行区紫竹科学园区东川路 555 号",
             "上海市杨浦区国定路 335 号 8 号楼 1102 室",
             "上海市嘉定区安亭镇墨玉南路 888 号 16 楼",
             "上海市临港新片区环湖西二路 888 号 A 座"]

SECONDERS = ["上海云笺信息技术有限公司", "上海星垣数据科技有限公司", "上海明图机器人有限公司",
             "上海澄川智能装备有限公司", "上海汇智人工智能产业促进中心",
             "上海若木生物计算有限公司", "上海海帆智慧港口科技有限公司",
             "上海松泽智能制造研究院", "上海启衡检测认证有限公司", "上海鹿鸣数字科技有限公司"]

# Phone numbers as proposers write them: (written on the form).
PHONES = ["021-5080 1234 转 806", "021-61234567", "(021) 6123-4567", "138 0013 8000",
          "+86 139 1234 5678", "０２１－５０８０１２３４", "021-50801234 ext. 2031",
          "021 6888 9999 x 12", "021-5467 8888-3302", "+86 21 6123 4567", "13701234567",
          "（０２１）６１２３　４５６７转８０６", "0086 21 5432 1098", "021-54321098 分机 66",
          "+86 (0)21 3888 0000", "１３８－１２３４－５６７８"]

EMAILS = ["linxz@example.cn", "shen.jiayi@example.com", "gu_wentao@example.org",
          "lu.shiyu+std@example.cn", "qian-wd@mail.example.com", "fan.siqi@example.cn"]


def pick(seq, i):
    return seq[i % len(seq)]


def base_local(i):
    t, ten, purpose, scope, situation = SUBJECTS[i]
    org = ORGS[i]
    return {
        "track": "local", "call": "2023", "title": t, "title_en": ten, "kind": "new",
        "nature": "recommended", "organisation": org,
        "head_of_unit": pick(PEOPLE, i + 3),
        "contact": {"name": pick(PEOPLE, i), "phone": pick(PHONES, i),
                    "email": pick(EMAILS, i), "address": pick(ADDRESSES, i)},
        "project_lead": pick(PEOPLE, i + 7),
        "planned_start": "2024-01-01", "planned_end": "2024-12-31",
        "purpose": purpose, "scope": scope, "situation": situation,
        "drafting_organisations": [org, pick(SECONDERS, i)],
        "budget": {"amount": 20 + i, "source": "self-funded"},
    }


def base_group(i):
    t, ten, purpose, scope, situation = SUBJECTS[i]
    org = ORGS[i]
    return {
        "track": "group", "call": "2023", "title": t, "title_en": ten, "kind": "new",
        "organisation": org,
        "contact": {"name": pick(PEOPLE, i), "phone": pick(PHONES, i),
                    "email": pick(EMAILS, i)},
        "planned_start": "2024-03-01", "planned_end": "2025-02-28",
        "purpose": purpose, "scope": scope, "situation": situation,
        "seconding_units": [pick(SECONDERS, i), pick(SECONDERS, i + 1),
                            pick(SECONDERS, i + 2)],
    }


# Each accepted form: (file name, track, what makes it different).
def accepted():
    out = []

    def add(name, form):
        out.append(("%02d-%s.json" % (len(out) + 1, name), form))

    i = 0
    # Local forms (附件3).
    f = base_local(i); add("local-extension-zhuan", f); i += 1
    f = base_local(i); f["drafting_contact"] = {"name": pick(PEOPLE, 9), "phone": "021-54321098 分机 66", "email": "dc@example.cn", "address": pick(ADDRESSES, 2)}; add("local-drafting-contact-extension", f); i += 1
    f = base_local(i); f["nature"] = "mandatory"; f["mandatory_reason"] = "室内配送机器人与行人共享通道，碰撞和夹伤直接涉及人身安全，需设置强制性条款。"; f["product_catalogue"] = "室内配送机器人；医院物流机器人；酒店送物机器人"; add("local-mandatory", f); i += 1
    f = base_local(i); f["kind"] = "revision"; f["replaces"] = "DB31/T 1287-2021"; add("local-revision", f); i += 1
    f = base_local(i); f["contact"]["phone"] = "０２１－５０８０１２３４"; f["title"] = "智能语音　方言语音识别（上海话）　评测方法"; add("local-full-width", f); i += 1
    f = base_local(i); f["ip_notes"] = ""; f["participating_organisations"] = []; f["replaces"] = None; f["drafting_contact"] = None; add("local-empty-optional-boxes", f); i += 1
    f = base_local(i); f["organisation"] = "上海市人工智能行业协会数据标注专业委员会秘书处依托单位上海墨序数据服务有限公司（上海市徐汇区人工智能产业创新服务中心）"; f["drafting_organisations"] = [f["organisation"], "上海墨序数据服务有限公司"]; add("local-long-organisation", f); i += 1
    f = base_local(i); f["participating_organisations"] = SECONDERS[:8]; add("local-many-participants", f); i += 1
    f = base_local(i); f["adoption"] = {"degree": "MOD", "number": "ISO/IEC TR 24028:2020", "title_en": "Information technology - Artificial intelligence - Overview of trustworthiness in artificial intelligence"}; add("local-adoption-english-title-only", f); i += 1
    f = base_local(i); f["budget"] = {"amount": 0, "source": "local-funding"}; add("local-budget-zero-local-funding", f); i += 1
    f = base_local(i); f["budget"]["amount"] = 12.5; f["contact"]["phone"] = "+86 (0)21 3888 0000"; add("local-budget-decimal", f); i += 1
    f = base_local(i); f["scope"] = f["scope"] + "\n主要技术内容：\n\t1. 术语和定义；\n\t2. 技术要求；\n\t3. 试验方法。"; add("local-multiline-tabs", f); i += 1
    f = base_local(i); f["contact"]["phone"] = "138 0013 8000"; f["drafting_contact"] = {"name": pick(PEOPLE, 4), "phone": "+86 139 1234 5678", "email": "robot.lab@example.org"}; add("local-mobiles", f); i += 1
    f = base_local(i); f["contact"]["phone"] = "021-50801234 ext. 2031"; add("local-extension-ext", f); i += 1
    f = base_local(i); f["contact"]["phone"] = "021 6888 9999 x 12"; add("local-extension-x", f); i += 1
    f = base_local(i); f["contact"]["phone"] = "021-5467 8888-3302"; add("local-extension-dash", f); i += 1
    f = base_local(i); f["planned_start"] = "2024-02-29"; f["planned_end"] = "2025-06-30"; add("local-leap-day", f); i += 1
    f = base_local(i); f["ip_notes"] = "本标准涉及的视频分析算法已申请发明专利（申请号 2023100000000.0，虚构），专利权人承诺以合理无歧视条件许可。"; add("local-ip-notes", f); i += 1
    f = base_local(i); f["drafting_organisations"] = [f["organisation"], "上海若木生物计算有限公司", "上海汇智人工智能产业促进中心", "上海松泽智能制造研究院", "上海启衡检测认证有限公司"]; add("local-several-drafting-units", f); i += 1
    f = base_local(i); f["contact"]["address"] = "上海市浦东新区张江高科技园区碧波路 690 号 2 号楼 4 层（邮编 201203）"; f["contact"]["email"] = "Ethics.Office@Example.CN"; add("local-mixed-case-email", f); i += 1
    # Group forms (附件4).
    f = base_group(i); add("group-phone-and-email", f); i += 1
    f = base_group(i); del f["contact"]["phone"]; add("group-email-only", f); i += 1
    f = base_group(i); del f["contact"]["email"]; f["contact"]["phone"] = "021-5080 1234 转 806"; add("group-phone-only-extension", f); i += 1
    f = base_group(i); f["contact"]["email"] = ""; f["contact"]["phone"] = "１３８－１２３４－５６７８"; add("group-phone-only-full-width", f); i += 1
    f = base_group(i); f["ics"] = "35.240"; f["ccs"] = "L70"; add("group-ics-ccs-given", f); i += 1
    f = base_group(i); f["ics"] = ""; f["ccs"] = ""; add("group-ics-ccs-empty", f); i += 1
    f = base_group(i); f["ics"] = None; f["ccs"] = None; add("group-ics-ccs-null", f); i += 1
    f = base_group(i); f["ics"] = "35.240.01"; add("group-ics-only", f); i += 1
    f = base_group(i); f["seconding_units"] = SECONDERS[:7]; add("group-seven-seconding-units", f); i += 1
    f = base_group(i); f["seconding_units"] = [" 上海云笺信息技术有限公司 ", "上海星垣数据科技有限公司", "上海明图机器人有限公司", "上海澄川智能装备有限公司"]; add("group-seconding-spaces", f); i += 1
    f = base_group(i); f["adoption"] = {"degree": "IDT", "number": "ISO/IEC 42001:2023", "title_zh": "信息技术 人工智能 管理体系", "title_en": "Information technology - Artificial intelligence - Management system"}; add("group-adoption-idt", f); i += 1
    f = base_group(i); f["adoption"] = {"degree": "NEQ", "number": "IEEE 3652.1-2020", "title_zh": "联邦机器学习架构框架和应用指南"}; add("group-adoption-neq-chinese-title", f); i += 1
    f = base_group(i); f["kind"] = "revision"; f["replaces"] = "T/SHAIA 0003-2022"; add("group-revision", f); i += 1
    f = base_group(i); f["organisation"] = "上海市人工智能行业协会具身智能专业委员会（牵头）暨上海步衡具身智能科技有限公司、上海弥光机器人有限公司联合工作组"; add("group-long-organisation", f); i += 1
    f = base_group(i); f["participating_organisations"] = ["上海海帆智慧港口科技有限公司", "上海若木生物计算有限公司"]; f["ip_notes"] = "未发现知识产权问题。"; add("group-participants-ip", f); i += 1
    f = base_group(i); f["contact"] = {"name": pick(PEOPLE, 2), "phone": "+86 21 6123 4567", "address": "上海市长宁区金钟路 968 号 9 号楼"}; add("group-address-no-email", f); i += 1
    f = base_group(i); f["title"] = "人工智能　ＡＩ智能体（Ａｇｅｎｔ）工具调用安全要求"; f["contact"]["phone"] = "（０２１）６１２３　４５６７转８０６"; add("group-full-width-title-phone", f); i += 1
    f = base_group(i); f["contact"]["phone"] = "0086 21 5432 1098"; f["ics"] = "27.010"; f["ccs"] = "F01"; add("group-0086", f); i += 1
    f = base_group(i); f["purpose"] = f["purpose"] + "\r\n（本栏可另附页说明，见附页一。）"; add("group-crlf-text", f); i += 1
    f = base_group(i); f["planned_start"] = "2023-11-15"; f["planned_end"] = "2024-11-14"; f["contact"]["phone"] = "13701234567"; add("group-mobile-plain", f); i += 1
    f = base_group(i); f["seconding_units"] = SECONDERS[3:6] + [" 上海澄川智能装备有限公司 "]; add("group-seconding-repeat-near", f); i += 1
    f = base_group(i); f["contact"]["phone"] = "021-54321098 分机 66"; f["contact"]["email"] = "qian-wd@mail.example.com"; add("group-extension-fenji", f); i += 1
    return out


def refused(acc):
    forms = dict(acc)
    L = lambda n: copy.deepcopy(forms[n])  # noqa: E731
    out = []

    def add(name, form, pointer, rule, why):
        f = "%02d-%s.json" % (len(out) + 1, name)
        out.append((f, form, {"file": f, "pointer": pointer, "rule": rule, "why": why}))

    loc, grp = "01-local-extension-zhuan.json", "21-group-phone-and-email.json"
    f = L(grp); f["contact"] = {"name": "沈嘉怡"}; add("group-no-phone-no-email", f, "/contact/phone", "contact-phone-or-email", "附件4 联系方式 empty")
    f = L(grp); f["contact"]["phone"] = ""; f["contact"]["email"] = " "; add("group-blank-contact-ways", f, "/contact/phone", "contact-phone-or-email", "both ways blank")
    f = L(loc); f["contact"]["phone"] = "021-5080 1234 转"; add("phone-extension-without-digits", f, "/contact/phone", "phone-extension", "转 and nothing after it")
    f = L(loc); f["contact"]["phone"] = "021-5080 1234 转 806 室"; add("phone-extension-with-room", f, "/contact/phone", "phone-extension", "a room number after the extension")
    f = L(loc); f["contact"]["phone"] = "5080 12"; add("phone-too-short", f, "/contact/phone", "phone-digits", "six digits")
    f = L(loc); f["contact"]["phone"] = "021-5080 1234 / 5080 1235"; add("phone-two-numbers", f, "/contact/phone", "phone-char", "two numbers in one box")
    f = L(loc); f["contact"]["phone"] = "电话：021-50801234"; add("phone-with-label", f, "/contact/phone", "phone-char", "the label written into the box")
    f = L(loc); f["contact"]["phone"] = "86+21 5080 1234"; add("phone-plus-inside", f, "/contact/phone", "phone-plus", "'+' not in front")
    f = L(loc); f["contact"]["phone"] = "(021 5080 1234"; add("phone-open-parenthesis", f, "/contact/phone", "phone-parens", "unclosed parenthesis")
    f = L("02-local-drafting-contact-extension.json"); f["drafting_contact"]["phone"] = "sixty-one"; add("drafting-phone-words", f, "/drafting_contact/phone", "phone-char", "words, not digits")
    f = L(loc); f["contact"]["email"] = "lin.xz@example"; add("email-no-tld", f, "/contact/email", "email-no-tld", "no top-level domain")
    f = L(loc); f["contact"]["email"] = "lin..xz@example.cn"; add("email-double-dot", f, "/contact/email", "email-local-dot", "two dots")
    f = L(loc); f["contact"]["email"] = "林晓舟@example.cn"; add("email-chinese-local-part", f, "/contact/email", "email-local-char", "Chinese before the @")
    f = L(loc); f["contact"]["email"] = "linxz.example.cn"; add("email-no-at", f, "/contact/email", "email-format", "no @")
    f = L(loc); f["contact"]["email"] = "linxz@exa_mple.cn"; add("email-underscore-domain", f, "/contact/email", "email-domain-char", "'_' in the domain")
    f = L(loc); f["contact"]["email"] = "linxz@example.c0m"; add("email-digit-tld", f, "/contact/email", "email-tld", "a digit in the top-level domain")
    f = L(grp); f["ics"] = "35.24"; add("ics-two-digit-group", f, "/ics", "ics", "35.24 is not an ICS code")
    f = L(grp); f["ccs"] = "l70"; add("ccs-lower-case", f, "/ccs", "ccs", "lower-case class letter")
    f = L(grp); f["ccs"] = "I10"; add("ccs-letter-i", f, "/ccs", "ccs", "no class I")
    f = L(loc); del f["title"]; add("title-missing", f, "/title", "required", "项目名称（中文） empty")
    f = L(grp); f["title_en"] = "   "; add("title-en-blank", f, "/title_en", "required", "项目名称（英文） blank")
    f = L(loc); f["planned_end"] = "2023-06-30"; add("end-before-start", f, "/planned_end", "end-before-start", "planned end before start")
    f = L(grp); f["planned_end"] = f["planned_start"]; add("end-equals-start", f, "/planned_end", "end-before-start", "same day")
    f = L(loc); f["planned_start"] = "2023-02-29"; add("start-not-a-date", f, "/planned_start", "date", "2023 has no 29 February")
    f = L(loc); f["planned_start"] = "2024/01/01"; add("start-slashes", f, "/planned_start", "date", "written with slashes")
    f = L(loc); f["kind"] = "revision"; add("revision-without-number", f, "/replaces", "revision-needs-replaces", "修订 without 代替标准号")
    f = L(grp); f["replaces"] = "T/SHAIA 0001-2022"; add("new-with-replaces", f, "/replaces", "new-refuses-replaces", "制定 with 被修订标准号")
    f = L("03-local-mandatory.json"); del f["product_catalogue"]; add("mandatory-without-catalogue", f, "/product_catalogue", "mandatory-needs", "填表说明 1")
    f = L(grp); f["seconding_units"] = f["seconding_units"][:2]; add("two-seconding-units", f, "/seconding_units", "seconding-count", "附议单位 至少3家")
    f = L(grp); f["seconding_units"].insert(1, f["organisation"]); add("lead-seconds-itself", f, "/seconding_units/1", "seconding-lead", "the lead unit among the seconders")
    f = L(grp); f["seconding_units"].append(f["seconding_units"][0]); add("seconding-repeated", f, "/seconding_units/3", "repeated-item", "a seconder twice")
    f = L(grp); f["adoption"] = {"degree": "IDT", "number": "ISO/IEC 22989:2022"}; add("adoption-without-title", f, "/adoption/title_zh", "adoption-title", "采标 without 国际标准名称")
    f = L(grp); f["adoption"] = {"degree": "EQV", "number": "ISO/IEC 22989:2022", "title_zh": "信息技术 人工智能 概念与术语"}; add("adoption-degree-eqv", f, "/adoption/degree", "enum", "EQV is no longer a degree")
    f = L(loc); f["budget"]["amount"] = 150000; add("budget-too-large", f, "/budget/amount", "number-range", "over 100000 万元")
    f = L(loc); f["budget"]["amount"] = "30万"; add("budget-as-text", f, "/budget/amount", "type-number", "written as text")
    f = L(loc); f["budget"]["source"] = "财政拨款"; add("budget-source-unknown", f, "/budget/source", "enum", "not one of the form's two boxes")
    f = L(loc); f["ics"] = "35.240"; add("local-with-ics", f, "/ics", "other-form-local", "附件3 has no ICS box")
    f = L(grp); f["nature"] = "recommended"; add("group-with-nature", f, "/nature", "other-form-group", "附件4 has no 项目性质 box")
    f = L(loc); f["contact"]["fax"] = "021-50801235"; add("contact-fax", f, "/contact/fax", "unknown-field", "no fax box")
    f = L(loc); f["track"] = "地标"; add("track-in-chinese", f, "/track", "enum", "JSON carries the code")
    f = L(loc); f["title"] = "人工智能 大模型\n推理服务性能测试方法"; add("title-line-break", f, "/title", "line-control", "a line break in a one-line box")
    f = L(grp); f["title"] = "人工智能" * 51; add("title-too-long", f, "/title", "too-long-chars", "204 characters")
    f = L(grp); f["title_en"] = "\U0001F916" * 301; add("title-en-too-many-bytes", f, "/title_en", "too-long-bytes", "301 emoji: 1204 bytes")
    f = L(loc); f["scope"] = f["scope"] + "\u0007"; add("scope-control-character", f, "/scope", "text-control", "a bell character pasted in")
    f = L(loc); f["drafting_organisations"] = []; add("no-drafting-unit", f, "/drafting_organisations", "required", "主要起草单位 empty")
    f = L(loc); del f["head_of_unit"]; add("head-of-unit-missing", f, "/head_of_unit", "required", "单位负责人 empty")
    f = L(loc); f["call"] = "2024"; add("unknown-call", f, "/call", "call-unknown", "no call 2024")
    f = L(loc); f["participating_organisations"] = ["上海星垣数据科技有限公司", 5]; add("participant-number", f, "/participating_organisations/1", "type-string", "a number in the list")
    f = L(grp); f["seconding_units"] = "上海云笺信息技术有限公司、上海星垣数据科技有限公司、上海明图机器人有限公司"; add("seconding-units-one-string", f, "/seconding_units", "type-array", "the units in one string")
    f = L(loc); f["contact"]["email"] = None; add("local-email-missing", f, "/contact/email", "required", "附件3 has its own 邮箱 box")
    f = L(loc); f["contact"]["name"] = ""; add("contact-name-empty", f, "/contact/name", "required", "联系人 empty")
    return out


def main():
    acc = accepted()
    ref = refused(acc)
    for sub in ("accepted", "refused"):
        d = os.path.join(HERE, sub)
        os.makedirs(d, exist_ok=True)
        for name in os.listdir(d):
            os.remove(os.path.join(d, name))
    for name, form in acc:
        with open(os.path.join(HERE, "accepted", name), "w", encoding="utf-8") as f:
            json.dump(form, f, ensure_ascii=False, indent=2)
            f.write("\n")
    for name, form, _ in ref:
        with open(os.path.join(HERE, "refused", name), "w", encoding="utf-8") as f:
            json.dump(form, f, ensure_ascii=False, indent=2)
            f.write("\n")
    with open(os.path.join(HERE, "refused.json"), "w", encoding="utf-8") as f:
        json.dump([e for _, _, e in ref], f, ensure_ascii=False, indent=2)
        f.write("\n")
    print("%d accepted, %d refused" % (len(acc), len(ref)))


if __name__ == "__main__":
    main()
