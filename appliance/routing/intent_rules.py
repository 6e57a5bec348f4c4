"""The shipped intent rules: data only, in the form `IntentRules.from_mapping` reads.

appliance/routing/intent.py validates and compiles them, and re-exports `DEFAULT_RULES`.
"""

from __future__ import annotations

from collections.abc import Mapping

# The shipped rules, as the data an administrator would write. Order is precedence:
# fraud first and heaviest (a customer losing money now outranks everything), then
# complaints (a complaint about a loan is a complaint), then the product queues from
# the most specific vocabulary to the most incidental: 贷款 and 基金 name their topic,
# while card, 到账, account and 登录 turn up in questions about everything else.
# Measured on tests/data/intents.jsonl by tests/bench/bench_intent.py; tuned on its
# "dev" split only (the same split the shipped classifier is trained on).
# fmt: off
DEFAULT_RULES: Mapping[str, Mapping[str, object]] = {
    "fraud": {
        "weight": 3.0,
        "prechat": ["report_fraud", "防诈骗", "举报诈骗"],
        "keywords": [
            "诈骗", "骗子", "被骗", "骗了", "骗走", "受骗", "盗刷", "被盗", "盗用", "冒充", "冒用",
            "假冒", "钓鱼", "可疑交易", "异常交易", "非本人", "不是我本人", "不是我消费",
            "没消费过", "没有消费过", "不是我操作", "我没有操作", "安全账户", "刷单", "中奖",
            "公安局", "检察院", "陌生人", "盗号", "被人登录", "被别人登录", "验证码被", "把验证码",
            "点了链接", "点链接", "有人用我", "卡在我手上", "卡还在", "卡在身上", "自称", "不对劲",
            "洗钱", "涉嫌", "被黑", "黑客", "被取走", "被人刷", "被刷", "钱没了", "扫码退款",
            "借呗", "陌生", "保证金", "投资群", "拉进", "共享屏幕", "屏幕共享", "远程控制",
            "会议软件", "伪卡", "复制卡", "被转走", "莫名其妙少了", "钱不见了", "詐騙", "盜刷",
            "被騙",
            "泄露", "诱导", "联系不上", "配合调查", "账户被盗",
            "fraud", "fraudulent", "fraudster", "scam", "phishing", "hacked", "hacker",
            "unauthorized", "unauthorised", "identity theft", "suspicious", "cloned", "skimmer",
            "skimming", "tricked", "impersonating", "stole money", "stolen money", "money missing",
            "missing from my", "not authorized", "compromised", "legit", "bail money", "in my name",
            "stranger", "convince", "data breach", "safe account", "remote access", "anydesk",
            "teamviewer", "screen sharing",
            "emptied", "taken over", "vanished", "disappeared with",
        ],
        "patterns": [
            r"(?:didn'?t|did not|never) (?:make|made|authori[sz]e|do|withdraw|buy|request|ask"
            r"|apply|sign|order)",
            r"(?:don'?t|do not) recogni[sz]e",
            r"gave (?:them|him|her|the caller|someone) (?:my )?(?:otp|pin|password|code)",
            r"using my (?:identity|name|id|details)",
            r"gave (?:it|them|my [a-z ]{1,20}) to (?:them|him|her|someone|a caller|the caller)",
            r"click(?:ed)? (?:on )?(?:a|the|this|that) link",
            r"someone (?:has |had |might have |may have )?(?:used|using|took|taken|withdrew"
            r"|access|logged|got into|hacked)",
            r"不是我(?:本人)?(?:买|消费|刷|操作|取|转|花)",
            r"(?:没|没有|未|从没)(?:任何|做任何)?(?:操作|消费|申请|授权)",
            r"(?:让|要|叫)我(?:先|把钱)?(?:转|汇|打钱|下载|点|扫|开通|交)",
            r"(?:details|data|information|info|number|identity|password)s? (?:was |were "
            r"|has been |got )?stolen",
            r"used (?:in|from|at) (?:another|a different) (?:country|city|state)",
            r"(?:email|text|sms|message|call|website|site)[a-z ]{0,30} (?:looks like|pretending"
            r"|claiming|posing)",
            r"(?:money|cash|funds|savings) (?:was |were |has been |got )?(?:taken|withdrawn"
            r"|stolen|gone)",
            r"(?:strange|weird|unknown|unfamiliar|odd|random) (?:transaction|charge|payment"
            r"|purchase)",
            r"(?:text|sms|email|message|call)[a-z ]{0,40} (?:link|verify)",
            r"(?:confirm|tell|read out|give)[a-z ]{0,20} (?:my |the )?(?:pin|otp|password|cvv)",
            r"(?:somebody|someone|strangers?) (?:is|are|was|keeps?) (?:using|making|spending"
            r"|taking)",
            r"[$£€¥]\d[\d,]* (?:is |was |has )?(?:gone|missing|taken)",
        ],
    },
    "complaints": {
        "weight": 2.5,
        "prechat": ["complaint", "投诉建议"],
        "keywords": [
            "投诉", "不满", "太差", "差劲", "态度", "恶劣", "离谱", "失望", "说法", "领导",
            "银保监", "金管局", "12378", "曝光", "起诉", "骚扰", "乱扣", "乱收费", "没人接",
            "没人管", "没人理", "不解决", "没解决", "不承认", "什么银行", "垃圾", "道歉",
            "忍无可忍", "差评", "效率", "打不通", "骗人", "承诺", "反映", "人民银行", "监管",
            "不理", "凭什么", "服了", "折腾", "难用", "听不懂", "赔偿", "不负责", "坑人",
            "大呼小叫", "投訴",
            "有意见", "难听", "没消息", "不满意", "没人回", "推卸", "敷衍",
            "complaint", "complain", "dissatisfied", "unhappy", "terrible", "awful", "horrible",
            "rude", "unacceptable", "ridiculous", "disappointed", "disgusting", "worst", "garbage",
            "useless", "escalate", "ombudsman", "regulator", "apology", "unfair", "unfairly",
            "poor service", "bad service", "nobody helps", "no one helps", "call back", "on hold",
            "not happy", "fed up", "bad experience", "joke", "rip off", "hung up", "frustrate",
            "frustration", "incompetent", "promised", "still waiting", "still nothing", "grievance",
            "compensation", "poorly", "disgrace", "treated", "not impressed", "feedback",
            "wrong information", "wait time", "bounced between", "passed around",
            "disappointment", "absurd", "condescending", "unhelpful", "someone senior",
            "responsibility", "poor experience", "not satisfied", "unprofessional",
        ],
        "patterns": [
            r"(?:speak|talk) (?:to|with) (?:a|the|your) (?:manager|supervisor)",
            r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time",
            r"(?:跑了|来了|去了|打了)[一二两三四五六七八九十几\d]+(?:趟|次|遍)",
            r"(?:不|没|未)经(?:过)?我?的?同意",
            r"太(?:差|慢|难|烂|坑|过分|离谱|麻烦|不负责)",
            r"破(?:银行|app|服务|系统|网点)",
        ],
    },
    "loans": {
        "prechat": ["loans_mortgages", "贷款"],
        "keywords": [
            "贷款", "贷", "房贷", "车贷", "按揭", "借款", "提前还款", "放款", "征信", "公积金",
            "装修贷", "经营贷", "消费贷", "信用贷", "等额本息", "等额本金", "月供", "抵押", "展期",
            "延期还款", "逾期", "还款", "借钱", "解押", "结清", "還款", "貸款",
            "loan", "mortgage", "morgage", "mortage", "borrow", "refinance", "repayment", "repay",
            "pay off", "payoff", "installment", "instalment", "emi", "pre-approval", "preapproved",
            "line of credit", "credit line", "heloc", "finance", "bridging", "deferment", "defer",
            "hardship", "overdue", "arrears", "principal", "lend",
        ],
        "patterns": [
            r"借.{0,2}钱",
            r"(?:买车|买房|装修|车|房).{0,4}分期",
        ],
    },
    "wealth": {
        "prechat": ["wealth_management", "理财"],
        "keywords": [
            "理财", "基金", "定期", "存款利率", "利息", "大额存单", "存单", "结构性存款", "国债",
            "债券", "黄金", "贵金属", "保险", "年金", "收益", "赎回", "申购", "认购", "定投",
            "风险评估", "风评", "保本", "净值", "资产配置", "配置资产", "分红", "股票", "活期",
            "养老金", "闲钱", "投资", "增值", "保值", "稳健", "私人银行", "风险等级", "理財",
            "存款产品", "外币存款",
            "fund", "mutual fund", "invest", "investment", "term deposit", "fixed deposit",
            "time deposit", "deposit rate", "savings rate", "interest rate", "wealth", "portfolio",
            "bond", "treasury", "gold", "cd", "certificate of deposit", "yield", "redeem",
            "redemption", "stock", "etf", "annuity", "insurance", "pension", "retirement",
            "risk assessment", "risk profile", "dividend", "mature", "maturity", "private bank",
            "isa", "structured product",
            "better interest", "higher interest", "notice account", "notice savings",
        ],
        "patterns": [
            r"park (?:my |some |our )?(?:money|cash|savings|funds|\d)",
            r"(?<![a-z0-9])r[1-5](?:级|以下|以上|产品| risk| product)",
        ],
    },
    "cards": {
        "prechat": ["card_services", "银行卡", "信用卡"],
        "keywords": [
            "挂失", "卡丢", "丢卡", "卡掉了", "卡不见", "卡找不到", "补卡", "换卡", "新卡", "激活",
            "开卡", "吞卡", "卡被吞", "吞了", "额度", "提额", "信用卡", "借记卡", "储蓄卡",
            "银行卡", "卡密码", "年费", "账单日", "最低还款", "境外消费", "刷卡", "刷不出", "磁条",
            "芯片", "卡过期", "锁卡", "卡被锁", "万事达", "银联卡", "卡片", "副卡", "附属卡",
            "取现", "钱包", "取款机", "提款机", "金卡", "白金卡", "信用卡还款", "停用", "积分",
            "里程", "降额", "掛失", "補卡",
            "卡号",
            "visa", "card", "debit card", "credit card", "lost card", "stolen card",
            "card activation", "pin", "atm", "credit limit", "card limit", "withdrawal limit",
            "declined", "annual fee", "replacement", "replace", "expiry date", "contactless",
            "mastercard", "amex", "unblock", "wallet", "cash advance", "gold card", "platinum card",
            "reward", "points", "cashback", "foreign transaction fee", "billing cycle", "apple pay",
            "google pay", "swallowed", "retained", "chip", "minimum payment",
        ],
        "patterns": [
            r"card[a-z ]{0,20} expir",
            r"卡.{0,6}(?:落在|丢|掉|不见|找不到|坏|吞|吃|锁|用不了|刷不了|停用|寄)",
            r"activat[a-z ]{0,30} card",
            r"(?:刷不了|用不了|丢了|掉了|吞了|吃了)的?卡",
        ],
    },
    "transfers": {
        "prechat": ["transfers_payments", "转账汇款"],
        "keywords": [
            "转账", "转钱", "转款", "汇款", "汇钱", "打钱", "打款", "转了", "转错", "跨行", "到账",
            "收款", "付款", "汇入", "汇出", "跨境", "电汇", "交易失败", "支付失败", "扣款失败",
            "没收到", "撤回", "代发", "汇过来", "转出", "转入", "购汇", "结汇", "外汇", "转给",
            "转过去", "转帐", "在途", "轉賬", "轉帳", "匯款",
            "货款", "划转", "工资没到",
            "transfer", "tranfer", "wire", "remittance", "remit", "swift", "iban", "sort code",
            "routing number", "send money", "sending money", "sent money", "receive money",
            "bill payment", "payee", "beneficiary", "money from abroad", "overseas",
            "international", "direct debit", "standing order", "paid twice", "went through twice",
            "exchange rate", "zelle", "paypal", "western union", "moneygram", "trace", "bic",
            "sepa", "ach", "show up", "arrive",
            "recipient", "chaps", "faster payment", "scheduled payment", "pay someone", "salary",
        ],
        "patterns": [
            r"payments?[a-z ]{0,30} (?:fail|declin|reject|pending|stuck|bounc)",
            r"not go(?:ing)? through",
            r"寄.{0,2}钱",
            r"打了?.?钱",
            r"汇(?!率|总|报|丰)",
            r"转(?:了|个)?.{0,3}(?:房租|钱|款|学费|生活费|工资)",
            r"send(?:ing)? (?:money|funds|cash|abroad|overseas|[$£€¥]?\d)",
            r"can (?:i |we )?send",
            r"(?:money|funds|cash) (?:i |we )?sent",
        ],
    },
    "accounts": {
        "prechat": ["accounts_online_banking", "开户销户"],
        "keywords": [
            "开户", "账户", "帐户", "储蓄账户", "销户", "注销", "网银", "网上银行", "手机银行",
            "登录", "登陆", "登不上", "密码忘", "忘记密码", "忘了密码", "预留手机号", "手机号",
            "账户冻结", "账户被冻结", "只收不付", "非柜面", "身份证", "实名", "补充资料", "流水",
            "对账单", "二类账户", "三类账户", "u盾", "数字证书", "代办", "开通网银", "去世", "过世",
            "一类户", "二类户", "人脸识别", "身份验证", "開戶", "網銀",
            "非活跃", "不动户", "睡眠户", "久悬", "转账密码", "支付密码", "交易密码",
            "open an account", "open account", "account opening", "close my account",
            "close account", "savings account", "checking account", "current account",
            "joint account", "business account", "online banking", "internet banking", "login",
            "log in", "log into", "sign in", "username", "password", "otp", "verification code",
            "kyc", "proof of address", "address", "mobile number", "phone number", "restricted",
            "frozen", "statement", "non resident", "session", "locked out", "app", "mobile banking",
            "account", "deceased", "passed away", "security question", "two-factor", "2fa",
            "authentication",
            "nationality", "tax residency", "dormant account",
        ],
        "patterns": [
            r"开(?:个|一个|了|张)?.{0,4}(?:账户|帐户|户头)",
            r"open(?:ing|ed)? (?:up )?(?:an? |my |new )?(?:[a-z]+ )?accounts?",
            r"clos(?:e|ing|ed)[a-z' ]{0,30} accounts?",
            r"add[a-z ]{0,30} to (?:my|our|the) account",
        ],
    },
}
# fmt: on
