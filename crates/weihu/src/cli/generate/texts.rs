//! Deterministic realistic text: faults, places, comments, client and person names.

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The word that appears in about one order in 10,000 (for the rare-word search benchmark).
pub const RARE_WORD: &str = "蓝牙键盘";

/// (category, subject, description, resolution).
pub(super) const FAULTS: &[(&str, &str, &str, &str)] = &[
    (
        "peripheral",
        "打印机无法打印",
        "财务部的打印机一直显示脱机，重启后仍然无法打印，急需打印报销单。",
        "更换硒鼓并重新安装驱动，打印正常。",
    ),
    (
        "peripheral",
        "打印机卡纸",
        "二楼复印打印一体机频繁卡纸，纸盒附近有异响。",
        "清理搓纸轮并更换分页器，测试 50 页无卡纸。",
    ),
    (
        "network",
        "网络断开",
        "办公区整层网络断开，电脑显示无法连接互联网。",
        "核心交换机端口故障，已切换到备用端口。",
    ),
    (
        "network",
        "无线网络信号差",
        "会议室无线网络信号很弱，视频会议经常掉线。",
        "新增一台无线接入点并调整信道。",
    ),
    (
        "server_storage",
        "服务器磁盘告警",
        "监控平台报 ERP 服务器磁盘使用率超过 90%。",
        "清理过期日志并扩容数据盘 200 GB。",
    ),
    (
        "server_storage",
        "存储阵列硬盘故障",
        "存储阵列亮黄灯，一块硬盘状态为故障。",
        "更换故障硬盘，阵列重建完成。",
    ),
    (
        "software",
        "邮箱无法收发邮件",
        "Outlook 提示无法连接服务器，邮件一直在发件箱。",
        "重建邮件配置文件，收发正常。",
    ),
    (
        "software",
        "电脑中了勒索病毒提示",
        "同事电脑弹出可疑窗口，杀毒软件报警。",
        "隔离电脑，查杀病毒并从备份恢复文件。",
    ),
    (
        "hardware",
        "笔记本无法开机",
        "笔记本按电源键没有反应，充电指示灯不亮。",
        "更换电源适配器，开机正常。",
    ),
    (
        "hardware",
        "显示器花屏",
        "显示器出现横纹花屏，换线后依旧。",
        "显示器背板故障，更换备用显示器。",
    ),
    (
        "database",
        "数据库连接超时",
        "业务系统访问数据库频繁超时，高峰期尤其严重。",
        "优化慢查询并调整连接池上限。",
    ),
    (
        "machine_room",
        "机房空调告警",
        "机房温度升高到 30 度，空调报高压告警。",
        "清洗冷凝器，温度恢复到 22 度。",
    ),
    (
        "network",
        "VPN drops every few minutes",
        "Remote staff report the VPN disconnecting every few minutes since Monday.",
        "Raised the keepalive interval and updated the VPN client.",
    ),
    (
        "software",
        "Cannot log in to ERP",
        "Users in sales get 'invalid session' when logging in to the ERP system.",
        "Cleared the stale sessions and fixed the clock skew on the app server.",
    ),
    (
        "peripheral",
        "Scanner not detected",
        "The document scanner at reception is no longer detected by the PC.",
        "Reinstalled the TWAIN driver and replaced the USB cable.",
    ),
    (
        "server_storage",
        "Backup job failed",
        "Last night's backup job failed with a timeout writing to the NAS.",
        "Freed space on the NAS and re-ran the backup successfully.",
    ),
    (
        "hardware",
        "Laptop overheating",
        "The laptop gets very hot and shuts down during video calls.",
        "Cleaned the fan and replaced the thermal paste.",
    ),
    (
        "network",
        "Slow Wi-Fi in meeting room",
        "Wi-Fi in the large meeting room is slow when more than ten people join.",
        "Added an access point and moved clients to 5 GHz.",
    ),
];

pub(super) const PLACES: &[&str] = &[
    "财务部",
    "行政部",
    "三楼会议室",
    "前台",
    "研发中心",
    "仓库",
    "Sales office",
    "2F open area",
    "总经理办公室",
    "门诊楼",
];

pub(super) const COMMENTS_PUBLIC: &[&str] = &[
    "已收到，工程师正在远程排查。",
    "工程师预计下午两点前到达现场。",
    "请确认问题是否已经解决。",
    "We are looking into it and will call you shortly.",
    "The engineer is on the way.",
    "已更换配件，请再观察一天。",
];
pub(super) const COMMENTS_INTERNAL: &[&str] = &[
    "客户设备已过保，注意报价。",
    "上次同类故障是驱动问题，先查驱动。",
    "Spare part ordered from the distributor.",
    "需要带备用交换机上门。",
];

pub(super) const CITIES: &[&str] = &[
    "上海", "苏州", "杭州", "南京", "北京", "深圳", "广州", "成都", "武汉", "宁波", "无锡", "天津",
];
pub(super) const BRANDS: &[&str] = &[
    "恒达", "华信", "东方", "金桥", "瑞丰", "天成", "新元", "宏远", "安泰", "博雅", "中科", "海润",
];
pub(super) const TRADES: &[&str] = &[
    "电子",
    "精密制造",
    "物流",
    "医疗器械",
    "贸易",
    "会计师事务所",
    "律师事务所",
    "食品",
    "建筑设计",
    "教育科技",
];
pub(super) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
];
pub(super) const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰", "涛", "明", "超",
    "秀英",
];
pub(super) const EN_NAMES: &[&str] = &[
    "Emily Chen",
    "David Wong",
    "Sarah Li",
    "Michael Zhang",
    "Anna Liu",
    "James Wu",
];

/// One generated order's text: (category, subject, description, resolution).
pub fn order_text(rng: &mut Rng) -> (&'static str, String, String, &'static str) {
    if rng.below(10_000) == 0 {
        let place = rng.pick(PLACES);
        return (
            "peripheral",
            format!("{RARE_WORD}无法配对（{place}）"),
            format!("{place}的{RARE_WORD}连接不上电脑，换电池后仍然无法配对。"),
            "重新配对并更新固件，连接正常。",
        );
    }
    let (category, subject, description, resolution) = *rng.pick(FAULTS);
    let place = rng.pick(PLACES);
    let subject = if rng.chance(50) {
        format!("{subject}（{place}）")
    } else {
        subject.to_owned()
    };
    let description = format!("{description} 地点：{place}。");
    (category, subject, description, resolution)
}

pub(super) fn person_name(rng: &mut Rng) -> String {
    if rng.chance(10) {
        (*rng.pick(EN_NAMES)).to_owned()
    } else {
        format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN))
    }
}
