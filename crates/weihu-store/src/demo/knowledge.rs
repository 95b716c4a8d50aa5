//! The demo's knowledge base and one problem: articles a provider's desk would have written
//! (client self-help and internal procedures, Chinese and English, one still a draft), and the
//! finance printer's repeated fault as a known error with its workaround, linked to the demo's
//! printer order. Only into a desk without articles; the repository tests start without it so
//! their searches see only what they write.

use crate::articles::{self, ArticlePatch, NewArticle};
use crate::problems::{self, NewProblem, ProblemPatch};
use crate::{Result, Store, users};

struct Demo {
    author: &'static str,
    title: &'static str,
    body: &'static str,
    category: &'static str,
    tags: &'static [&'static str],
    categories: &'static [&'static str],
    asset_types: &'static [&'static str],
    lang: &'static str,
    audience: &'static str,
    publish: bool,
}

const ARTICLES: &[Demo] = &[
    Demo {
        author: "li.qiang",
        title: "打印机提示卡纸的自助处理",
        body: "## 现象\n\n打印机面板提示“卡纸”，打印任务停止。\n\n## 处理步骤\n\n1. 关闭打印机电源，等待 **5 分钟**让定影器冷却。\n2. 打开前盖，取出硒鼓，沿出纸方向**缓慢**抽出卡住的纸张。\n3. 检查纸盒：纸张不超过装纸线，两侧导板贴紧纸张。\n4. 装回硒鼓，开机打印测试页。\n\n仍然提示卡纸，请报修并注明打印机资产标签。",
        category: "打印",
        tags: &["卡纸", "自助"],
        categories: &["peripheral"],
        asset_types: &["printer"],
        lang: "zh",
        audience: "clients",
        publish: true,
    },
    Demo {
        author: "zhang.wei",
        title: "电脑无法上网的自查步骤",
        body: "## 先看范围\n\n同一办公室的其他电脑能否上网？都不能，多半是交换机或出口故障，请直接报修并说明受影响人数。\n\n## 单台电脑\n\n1. 检查网线两端是否插好，网口指示灯是否闪烁。\n2. 在命令行执行 `ipconfig /renew` 重新获取地址。\n3. 重启电脑。\n\n以上无效请报修，附上 `ipconfig /all` 的截图。",
        category: "网络",
        tags: &["上网", "自助"],
        categories: &["network"],
        asset_types: &["desktop", "laptop"],
        lang: "zh",
        audience: "clients",
        publish: true,
    },
    Demo {
        author: "tom.baker",
        title: "Outlook cannot send or receive mail",
        body: "## Check first\n\n- Is the status bar showing *Working Offline*? Turn it off under **Send / Receive**.\n- Is your mailbox full? Empty *Deleted Items*.\n\n## Then\n\n1. Close Outlook and start it again.\n2. If a password prompt keeps returning, change your password on the company portal and sign in again.\n\nStill stuck? Report it with the exact error message.",
        category: "Email",
        tags: &["outlook", "self-help"],
        categories: &["software"],
        asset_types: &[],
        lang: "en",
        audience: "clients",
        publish: true,
    },
    Demo {
        author: "li.qiang",
        title: "开机蓝屏 0x0000007B 的处理",
        body: "## 原因\n\n硬盘控制器模式（AHCI / IDE）与系统安装时不一致，常见于 BIOS 恢复默认设置或更换主板之后。\n\n## 处理\n\n1. 开机进入 BIOS，将 SATA 模式改回原来的设置（多为 AHCI）。\n2. 仍蓝屏：用 PE 启动盘检查硬盘健康（SMART），坏道则按换盘流程处理。\n\n## 注意\n\n不要在客户电脑上直接重装系统，先备份用户数据。",
        category: "硬件",
        tags: &["蓝屏", "bios"],
        categories: &["hardware"],
        asset_types: &["desktop", "laptop"],
        lang: "zh",
        audience: "internal",
        publish: true,
    },
    Demo {
        author: "zhang.wei",
        title: "服务器硬盘 SMART 告警的换盘流程",
        body: "## 换盘前\n\n1. 在阵列管理界面确认告警盘的槽位号和阵列状态（不是降级状态才能热插拔）。\n2. 确认备件型号、容量与原盘一致，备件申请已获客户审批。\n3. 通知客户管理员，约定维护窗口。\n\n## 换盘\n\n1. 点亮槽位定位灯，再拔盘。\n2. 插入新盘后观察重建进度，重建完成前不要离场。\n\n## 之后\n\n在工单中记录旧盘序列号并拍照，旧盘交回客户或按合同销毁。",
        category: "服务器",
        tags: &["硬盘", "raid", "备件"],
        categories: &["server_storage"],
        asset_types: &["server", "storage"],
        lang: "zh",
        audience: "internal",
        publish: true,
    },
    Demo {
        author: "chen.jing",
        title: "VPN 连接失败的常见原因",
        body: "1. 确认电脑时间正确（时间偏差会导致证书校验失败）。\n2. 确认账号未过期、密码已按期修改。\n3. 换用手机热点连接，排除所在网络封锁 VPN 端口。\n\n仍无法连接请报修，注明错误代码。",
        category: "网络",
        tags: &["vpn", "自助"],
        categories: &["network"],
        asset_types: &[],
        lang: "zh",
        audience: "clients",
        publish: true,
    },
    Demo {
        author: "chen.jing",
        title: "交换机端口频繁 up/down 的排查（草稿）",
        body: "待补充：光模块、网线、端口协商、环路检测的检查顺序。",
        category: "网络",
        tags: &["交换机"],
        categories: &["network"],
        asset_types: &["network"],
        lang: "zh",
        audience: "internal",
        publish: false,
    },
];

pub(super) async fn load(store: &Store) -> Result<()> {
    let any: i64 = sqlx::query_scalar("SELECT count(*) FROM articles")
        .fetch_one(&store.pool)
        .await?;
    if any > 0 {
        return Ok(());
    }
    let actor = |name: &'static str| async move {
        users::find_by_username(store, name)
            .await?
            .map(|(u, _)| users::actor_of(&u))
            .ok_or(crate::StoreError::NotFound)
    };
    let desk = actor("wang.fang").await?;
    for d in ARTICLES {
        let author = actor(d.author).await?;
        let list = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let a = articles::create(
            store,
            &author,
            &NewArticle {
                title: d.title.into(),
                body: d.body.into(),
                category: d.category.into(),
                tags: list(d.tags),
                categories: list(d.categories),
                asset_types: list(d.asset_types),
                lang: Some(d.lang.into()),
                audience: Some(d.audience.into()),
                source_order_id: None,
                problem_id: None,
            },
        )
        .await?;
        if d.publish {
            articles::update(
                store,
                &desk,
                a.id,
                &ArticlePatch {
                    version: a.version,
                    state: Some("published".into()),
                    ..Default::default()
                },
            )
            .await?;
        }
    }
    load_problem(store, &actor("li.qiang").await?).await
}

/// The finance printer's jams, a known error: found by the engineer who keeps clearing them.
async fn load_problem(store: &Store, engineer: &crate::Actor) -> Result<()> {
    let printer: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM orders WHERE subject = '财务部打印机无法打印' ORDER BY id LIMIT 5",
    )
    .fetch_all(&store.pool)
    .await?;
    let p = problems::create(
        store,
        engineer,
        &NewProblem {
            title: "财务部 HP 打印机反复卡纸".into(),
            description: "HP LaserJet M404 每周都报卡纸，清理后仍会再次出现。".into(),
            owner_id: Some(engineer.user_id),
            order_ids: printer,
        },
    )
    .await?;
    problems::update(
        store,
        engineer,
        p.id,
        &ProblemPatch {
            version: p.version,
            state: Some("known_error".into()),
            root_cause: Some("定影组件老化，出纸时纸张卷曲后卡在出纸口。".into()),
            workaround: Some("使用 70 克纸并每次放纸不超过半盒；卡纸后关机 5 分钟再取纸。".into()),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}
