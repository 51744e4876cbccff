"""Realistic people, company names and addresses (invented, Xuchang-flavoured)."""
from __future__ import annotations

import random

SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
            "余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文")
GIVEN_M = ("伟 强 磊 军 勇 杰 涛 斌 超 明 刚 平 辉 鹏 华 飞 鑫 波 宇 浩 凯 健 俊 帆 帅 旭 宁 龙 林 阳 建国 志强 海涛 "
           "晓东 建华 国栋 文博 子轩 浩然 宏伟 振华 永刚 卫东 德明 俊杰 建军 新民 红旗 广才").split()
GIVEN_F = ("芳 娜 敏 静 丽 艳 娟 霞 燕 玲 婷 雪 慧 倩 颖 琳 晶 洁 欣 璐 淑兰 秀英 桂芳 丽华 晓燕 雅琴 佳怡 思雨 "
           "梦瑶 海燕 秀梅 春花 玉兰 红霞 晓丽 文静 亚楠 雨涵").split()
ETHNICITIES = ("汉",) * 18 + ("回", "满")

TRADE_NAMES = ("瑞达 恒通 金盾 华瑞 森源 鑫源 豫丰 中原 博远 众合 腾飞 宏达 德润 天宇 汇丰源 正阳 永兴 "
               "远航 隆盛 佳和 新创 昌盛 莲城 魏都 钧瓷 裕华 东信 嘉盛 致远 智创 三昌 盛世 科隆 华冠").split()
INDUSTRIES = (
    ("精密机械", "机械零部件加工、销售；通用设备制造（不含特种设备制造）；金属切削加工服务；技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广"),
    ("电气设备", "输配电及控制设备制造；智能输配电及控制设备销售；电力电子元器件制造；电线、电缆经营；软件开发；技术服务、技术开发、技术咨询"),
    ("发制品", "发制品制造；发制品销售；美发饰品销售；化妆品零售；货物进出口；技术进出口；服装服饰批发"),
    ("新材料科技", "新材料技术研发；合成材料制造（不含危险化学品）；塑料制品制造；化工产品销售（不含许可类化工产品）；技术服务、技术开发"),
    ("食品", "食品生产；食品销售；农副产品销售；初级农产品收购；食用农产品批发；包装服务；技术服务、技术开发"),
    ("汽车零部件", "汽车零部件及配件制造；汽车零配件批发；机械设备研发；模具制造；金属表面处理及热处理加工"),
    ("信息技术", "软件开发；信息系统集成服务；计算机系统服务；数据处理和存储支持服务；物联网技术服务；网络技术服务；信息技术咨询服务"),
    ("陶瓷", "日用陶瓷制品制造；卫生陶瓷制品制造；工艺美术品及礼仪用品制造（象牙及其制品除外）；工艺美术品及收藏品零售"),
    ("生物科技", "生物基材料技术研发；生物农药技术研发；肥料销售；饲料添加剂销售；技术服务、技术开发、技术咨询、技术交流"),
    ("环保科技", "环境保护专用设备制造；大气污染治理；水污染治理；固体废物治理；环保咨询服务；技术服务、技术开发"),
)
SUFFIXES = ("有限公司",) * 5 + ("有限责任公司", "股份有限公司")
COMPANY_TYPES = {"有限公司": ("有限责任公司（自然人投资或控股）", "有限责任公司（自然人独资）", "其他有限责任公司"),
                 "有限责任公司": ("有限责任公司（自然人投资或控股）", "其他有限责任公司"),
                 "股份有限公司": ("股份有限公司（非上市、自然人投资或控股）", "其他股份有限公司（非上市）")}

# Region code -> (district as printed, streets/townships, registration authority)
XUCHANG = {
    "411002": ("河南省许昌市魏都区", ["七一路", "八一路", "文峰路", "魏武大道", "劳动路", "许继大道", "健康路", "西大街", "南关大街"], "许昌市魏都区市场监督管理局"),
    "411003": ("河南省许昌市建安区", ["将官池镇", "尚集镇", "苏桥镇", "张潘镇", "灵井镇", "许由路", "永宁街"], "许昌市建安区市场监督管理局"),
    "411023": ("河南省许昌市建安区", ["将官池镇", "小召乡", "椹涧乡", "新元大道"], "许昌市建安区市场监督管理局"),
    "411024": ("河南省许昌市鄢陵县", ["安陵镇", "柏梁镇", "花都大道", "陈化店镇", "金汇大道"], "鄢陵县市场监督管理局"),
    "411025": ("河南省许昌市襄城县", ["城关镇", "库庄镇", "紫云大道", "湛北乡", "麦岭镇"], "襄城县市场监督管理局"),
    "411081": ("河南省禹州市", ["神垕镇", "钧台街道", "颍川大道", "火龙镇", "夏都街道", "药城路"], "禹州市市场监督管理局"),
    "411082": ("河南省长葛市", ["石固镇", "后河镇", "大周镇", "长社路", "葛天大道", "董村镇"], "长葛市市场监督管理局"),
    "411000": ("河南省许昌市城乡一体化示范区", ["魏武大道", "学院路", "竹林路", "芙蓉大道", "永兴东路"], "许昌市市场监督管理局城乡一体化示范区分局"),
    "411071": ("河南省许昌市许昌经济技术开发区", ["瑞祥路", "阳光大道", "长村张乡", "魏文路", "延安路"], "许昌市市场监督管理局经济技术开发区分局"),
}
# Out-of-town addresses; the Shanghai street named 许昌路 and Beijing's 东城区 are deliberate traps.
OUTSIDE = {
    "310110": ("上海市杨浦区许昌路", "上海市杨浦区市场监督管理局", "上海"),
    "110101": ("北京市东城区东直门南大街", "北京市东城区市场监督管理局", "北京"),
    "410105": ("河南省郑州市金水区花园路", "郑州市金水区市场监督管理局", "郑州"),
    "440305": ("广东省深圳市南山区科技园南路", "深圳市市场监督管理局南山监管局", "深圳"),
}
PERSON_REGIONS = ("411002", "411023", "411024", "411025", "411081", "411082", "412601", "410102", "410411", "411102")

BANKS = ("中国银行", "中国工商银行", "中国建设银行", "中国农业银行", "许昌农商银行", "中原银行")


def person_name(rng: random.Random, sex: str | None = None) -> tuple[str, str]:
    sex = sex or rng.choice("男女")
    given = rng.choice(GIVEN_M if sex == "男" else GIVEN_F)
    if len(given) == 1 and rng.random() < 0.45:
        given = rng.choice(GIVEN_M if sex == "男" else GIVEN_F)[:1] + given
    return rng.choice(SURNAMES) + given, sex


def street_address(rng: random.Random, base: str, street: str) -> str:
    if street.endswith(("镇", "乡")):
        tail = rng.choice([f"{rng.choice(['东', '西', '南', '北'])}街{rng.randint(1, 99)}号",
                           f"{rng.choice(['工业园区', '产业集聚区'])}{rng.choice(['纬一路', '经二路', '创业路'])}{rng.randint(1, 66)}号",
                           f"{rng.choice(['张', '王', '李', '后', '前'])}庄村{rng.randint(1, 30)}组"])
    elif street.endswith("街道"):
        tail = f"{rng.choice(['建设路', '人民路', '解放路'])}{rng.randint(1, 300)}号"
    else:
        tail = f"{rng.randint(1, 1999)}号"
        if rng.random() < 0.35:
            tail += f"{rng.randint(1, 12)}号楼{rng.randint(1, 26)}{rng.randint(1, 3):02d}室"
    return base + street + tail


def xuchang_address(rng: random.Random, region: str) -> str:
    base, streets, _ = XUCHANG[region]
    return street_address(rng, base, rng.choice(streets))


def outside_address(rng: random.Random, region: str) -> str:
    base = OUTSIDE[region][0]
    return base + f"{rng.randint(1, 900)}号" + (f"{rng.randint(1, 20)}楼" if rng.random() < 0.5 else "")


def company_name(rng: random.Random, region: str, industry: int | None = None) -> tuple[str, str, str]:
    """(name, company_type, business_scope)."""
    ind_name, scope = INDUSTRIES[rng.randrange(len(INDUSTRIES)) if industry is None else industry]
    trade = rng.choice(TRADE_NAMES)
    suffix = rng.choice(SUFFIXES)
    if region in OUTSIDE:
        prefix = OUTSIDE[region][2]
    elif region == "411081":
        prefix = rng.choice(["禹州市", "禹州"])
    elif region == "411082":
        prefix = rng.choice(["长葛市", "长葛"])
    elif region in ("411024", "411025"):
        prefix = XUCHANG[region][0][-3:-1] + "县"
        prefix = rng.choice([prefix, "许昌"])
    else:
        prefix = rng.choice(["许昌", "许昌市", "河南"])
    name = f"{prefix}{trade}{ind_name}{suffix}"
    if prefix == "河南" or rng.random() < 0.1:
        name = f"河南{trade}{ind_name}{suffix}" if region not in OUTSIDE else name
    ctype = rng.choice(COMPANY_TYPES[suffix])
    return name, ctype, full_scope(rng, scope)


PROVIDERS = (
    # Management units that own instruments and sell testing services (invented).
    ("许昌{}检测技术有限公司", "检验检测服务；计量技术服务；标准化服务；技术服务、技术开发、技术咨询"),
    ("河南{}检验检测研究院有限公司", "检验检测服务；认证服务；环境保护监测；技术服务、技术开发"),
    ("许昌{}分析测试中心有限公司", "分析测试服务；检验检测服务；工程和技术研究和试验发展"),
    ("许昌{}新材料研究院有限公司", "新材料技术研发；检验检测服务；技术服务、技术开发、技术咨询、技术交流"),
)


def provider_name(rng: random.Random, region: str) -> tuple[str, str, str]:
    pattern, scope = rng.choice(PROVIDERS)
    name = pattern.format(rng.choice(TRADE_NAMES))
    return name, "有限责任公司（自然人投资或控股）", full_scope(rng, scope)


def email_for(rng: random.Random, person: str, company_hint: str = "") -> str:
    user = rng.choice(["xc", "hn", "office", "admin", "info", "kj", "tech"]) + str(rng.randint(10, 9999))
    return user + "@" + rng.choice(["163.com", "126.com", "qq.com", "sina.com", "foxmail.com"])


EXTRA_SCOPE = ("普通机械设备安装服务", "专用设备修理", "仪器仪表销售", "办公设备耗材销售", "货物进出口", "技术进出口",
               "信息咨询服务（不含许可类信息咨询服务）", "会议及展览服务", "工业设计服务", "五金产品批发")
LICENSED_SCOPE = ("道路货物运输（不含危险货物）", "建设工程施工", "检验检测服务", "食品生产", "特种设备检验检测")


def full_scope(rng: random.Random, core: str) -> str:
    extra = "；".join(rng.sample(EXTRA_SCOPE, rng.randint(2, 5)))
    s = f"一般项目：{core}；{extra}（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
    if rng.random() < 0.5:
        s += f"许可项目：{rng.choice(LICENSED_SCOPE)}（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目以相关部门批准文件或许可证件为准）"
    return s
