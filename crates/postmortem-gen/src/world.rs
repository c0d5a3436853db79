//! The simulated world in front of the load balancer: a skewed client
//! population (a few heavy clients: partners, a corporate NAT, crawlers,
//! monitors; a long tail of people), their user agents, and the site's
//! routes with realistic paths, sizes, latencies and statuses.

use std::collections::BTreeSet;

use crate::rng::{cumulative, Rng};

/// What kind of client sends the traffic; decides routes and user agents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientKind {
    Browser,
    MobileApp,
    Partner,
    Crawler,
    Monitor,
    Scanner,
}

/// One client: an address and a user agent.
#[derive(Clone, Debug)]
pub struct Client {
    pub ip: String,
    pub kind: ClientKind,
    pub ua: &'static str,
    /// HTTP version the client speaks (`HTTP/1.1` or `HTTP/2.0`).
    pub proto: &'static str,
}

const DESKTOP_UAS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.66",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:123.0) Gecko/20100101 Firefox/123.0",
];

const MOBILE_WEB_UAS: &[&str] = &[
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/122.0.6261.89 Mobile/15E148 Safari/604.1",
];

const APP_UAS: &[&str] = &[
    "ShopApp/5.12.1 (iPhone; iOS 17.3.1; Scale/3.00)",
    "ShopApp/5.12.0 (iPhone; iOS 16.7.5; Scale/3.00)",
    "ShopApp/5.12.1 (iPad; iOS 17.2; Scale/2.00)",
    "okhttp/4.12.0",
    "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 7 Build/UQ1A.240205.002)",
    "Dalvik/2.1.0 (Linux; U; Android 13; SM-A536B Build/TP1A.220624.014)",
];

/// First octets of plausible residential and mobile address space.
const ISP_OCTETS: &[u8] = &[
    24, 31, 37, 46, 62, 66, 71, 73, 77, 78, 81, 82, 86, 88, 90, 91, 92, 94, 98, 99, 101, 108, 109,
    112, 151, 171, 174, 176, 178, 182, 185, 188, 190, 195, 203, 212, 213, 217,
];

/// The client population with its draw weights.
pub struct Population {
    pub clients: Vec<Client>,
    /// Cumulative weights of the steady (robot) clients, indexed by `robots`.
    pub robots: Vec<u32>,
    robot_cum: Vec<f64>,
    /// Cumulative weights of the human clients, indexed by `humans`.
    pub humans: Vec<u32>,
    human_cum: Vec<f64>,
    /// Share of traffic that robots send.
    pub robot_share: f64,
}

fn ipv4(rng: &mut Rng, seen: &mut BTreeSet<String>) -> String {
    loop {
        let a = *rng.pick(ISP_OCTETS);
        let ip = format!(
            "{}.{}.{}.{}",
            a,
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        );
        if seen.insert(ip.clone()) {
            return ip;
        }
    }
}

fn ipv6(rng: &mut Rng, seen: &mut BTreeSet<String>) -> String {
    const PREFIXES: &[&str] = &[
        "2a01:e0a",
        "2a02:c7c",
        "2600:1700",
        "2001:4860",
        "2a00:23c6",
    ];
    loop {
        let ip = format!(
            "{}:{:x}:{:x}:{:x}:{:x}:{:x}:{:x}",
            rng.pick(PREFIXES),
            rng.below(0x10000),
            rng.below(0x10000),
            rng.below(0x10000),
            rng.below(0x10000),
            rng.below(0x10000),
            rng.below(0x10000)
        );
        if seen.insert(ip.clone()) {
            return ip;
        }
    }
}

impl Population {
    /// `humans` people plus a fixed cast of heavy automated clients.
    /// `ipv6` allows IPv6 people (nginx logs them; the ALB scenario keeps v4).
    pub fn new(rng: &mut Rng, humans: usize, ipv6_ok: bool) -> Population {
        let mut seen = BTreeSet::new();
        let mut clients = Vec::new();
        let mut robots = Vec::new();
        let mut robot_w = Vec::new();
        let mut robot = |clients: &mut Vec<Client>, ip: &str, kind, ua, w: f64| {
            seen.insert(ip.to_string());
            robots.push(clients.len() as u32);
            robot_w.push(w);
            clients.push(Client {
                ip: ip.to_string(),
                kind,
                ua,
                proto: "HTTP/1.1",
            });
        };
        robot(
            &mut clients,
            "52.14.201.77",
            ClientKind::Partner,
            "python-requests/2.31.0",
            7.0,
        );
        robot(
            &mut clients,
            "34.117.59.81",
            ClientKind::Partner,
            "Go-http-client/1.1",
            4.5,
        );
        robot(
            &mut clients,
            "3.121.44.19",
            ClientKind::Partner,
            "Apache-HttpClient/4.5.14 (Java/17.0.10)",
            2.5,
        );
        robot(
            &mut clients,
            "66.249.66.1",
            ClientKind::Crawler,
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            2.0,
        );
        robot(
            &mut clients,
            "66.249.66.87",
            ClientKind::Crawler,
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            1.2,
        );
        robot(
            &mut clients,
            "157.55.39.204",
            ClientKind::Crawler,
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            1.0,
        );
        robot(
            &mut clients,
            "54.36.148.112",
            ClientKind::Crawler,
            "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
            0.8,
        );
        robot(
            &mut clients,
            "69.162.124.231",
            ClientKind::Monitor,
            "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
            0.4,
        );
        robot(
            &mut clients,
            "178.255.153.2",
            ClientKind::Monitor,
            "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
            0.3,
        );
        robot(
            &mut clients,
            "167.94.138.44",
            ClientKind::Scanner,
            "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
            0.15,
        );
        robot(
            &mut clients,
            "45.148.10.172",
            ClientKind::Scanner,
            "Mozilla/5.0 zgrab/0.x",
            0.1,
        );

        // People: a corporate NAT and a few office/campus addresses are
        // heavy; then a long Zipf-like tail of returning visitors.
        let mut human_ids = Vec::new();
        let mut human_w = Vec::new();
        let n = humans.max(20);
        for i in 0..n {
            let kind = if rng.chance(0.32) {
                ClientKind::MobileApp
            } else {
                ClientKind::Browser
            };
            let (ua, proto) = match kind {
                ClientKind::MobileApp => (*rng.pick(APP_UAS), "HTTP/2.0"),
                _ => {
                    let ua = if rng.chance(0.45) {
                        *rng.pick(MOBILE_WEB_UAS)
                    } else {
                        *rng.pick(DESKTOP_UAS)
                    };
                    (
                        ua,
                        if rng.chance(0.7) {
                            "HTTP/2.0"
                        } else {
                            "HTTP/1.1"
                        },
                    )
                }
            };
            let ip = if ipv6_ok && rng.chance(0.07) {
                ipv6(rng, &mut seen)
            } else {
                ipv4(rng, &mut seen)
            };
            let w = if i < 3 {
                // NAT gateways: many people behind one address.
                [6.0, 4.0, 3.0][i]
            } else {
                // Returning visitors: k^-1/2 (square root only, reproducible).
                1.0 / (i as f64 - 1.0).sqrt()
            };
            human_ids.push(clients.len() as u32);
            human_w.push(w);
            clients.push(Client {
                ip,
                kind,
                ua,
                proto,
            });
        }
        // Shuffle weights over people so heavy ones are not the first ids.
        for i in (1..human_w.len()).rev() {
            let j = rng.index(i + 1);
            human_w.swap(i, j);
        }
        Population {
            clients,
            robot_cum: cumulative(robot_w.iter().copied()),
            robots,
            human_cum: cumulative(human_w.iter().copied()),
            humans: human_ids,
            robot_share: 0.2,
        }
    }

    /// A robot client id, by weight.
    pub fn draw_robot(&self, rng: &mut Rng) -> u32 {
        self.robots[rng.weighted(&self.robot_cum)]
    }

    /// A human client id, by weight (who starts a new session).
    pub fn draw_human(&self, rng: &mut Rng) -> u32 {
        self.humans[rng.weighted(&self.human_cum)]
    }
}

/// What a route is, for latency, logging and routing decisions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    Page,
    Static,
    Api,
    Auth,
    Health,
    Robots,
    Scan,
}

/// One route of the site.
#[derive(Clone, Copy, Debug)]
pub struct Route {
    pub id: u16,
    pub method: &'static str,
    pub kind: RouteKind,
    /// Median upstream time in ms.
    pub median_ms: f64,
    /// Median response body bytes.
    pub bytes: f64,
    /// Normal success status.
    pub ok: u16,
}

impl Route {
    /// GET/HEAD: nginx may retry them on another server.
    pub fn idempotent(&self) -> bool {
        self.method == "GET" || self.method == "HEAD"
    }
}

macro_rules! route {
    ($id:expr, $m:expr, $k:ident, $ms:expr, $b:expr, $ok:expr) => {
        Route {
            id: $id,
            method: $m,
            kind: RouteKind::$k,
            median_ms: $ms,
            bytes: $b,
            ok: $ok,
        }
    };
}

/// Every route; ids index this table.
pub const ROUTES: &[Route] = &[
    route!(0, "GET", Page, 48.0, 14_200.0, 200),
    route!(1, "GET", Page, 61.0, 18_900.0, 200),
    route!(2, "GET", Page, 72.0, 22_400.0, 200),
    route!(3, "GET", Static, 0.0, 52_341.0, 200),
    route!(4, "GET", Static, 0.0, 18_230.0, 200),
    route!(5, "GET", Static, 0.0, 41_000.0, 200),
    route!(6, "GET", Api, 24.0, 3_400.0, 200),
    route!(7, "GET", Api, 16.0, 1_900.0, 200),
    route!(8, "GET", Api, 140.0, 5_200.0, 200),
    route!(9, "GET", Api, 21.0, 840.0, 200),
    route!(10, "POST", Api, 38.0, 310.0, 201),
    route!(11, "DELETE", Api, 29.0, 0.0, 204),
    route!(12, "POST", Api, 310.0, 620.0, 200),
    route!(13, "GET", Api, 33.0, 1_400.0, 200),
    route!(14, "POST", Api, 6.0, 0.0, 204),
    route!(15, "POST", Auth, 92.0, 410.0, 200),
    route!(16, "POST", Auth, 14.0, 380.0, 200),
    route!(17, "GET", Auth, 9.0, 230.0, 200),
    route!(18, "POST", Auth, 8.0, 0.0, 204),
    route!(19, "GET", Health, 2.0, 15.0, 200),
    route!(20, "GET", Robots, 1.0, 312.0, 200),
    route!(21, "GET", Robots, 30.0, 48_000.0, 200),
    route!(22, "GET", Scan, 3.0, 153.0, 404),
    route!(23, "GET", Static, 0.0, 4_286.0, 200),
];

struct Mix(&'static [(u16, f64)]);

const BROWSER_MIX: Mix = Mix(&[
    (0, 6.0),
    (1, 10.0),
    (2, 5.0),
    (3, 7.0),
    (4, 5.0),
    (5, 14.0),
    (23, 1.0),
    (6, 9.0),
    (7, 8.0),
    (8, 4.0),
    (9, 5.0),
    (10, 3.0),
    (11, 0.7),
    (12, 0.9),
    (13, 0.8),
    (14, 8.0),
    (15, 1.0),
    (16, 3.0),
    (17, 7.0),
    (18, 0.3),
]);
const APP_MIX: Mix = Mix(&[
    (6, 14.0),
    (7, 14.0),
    (8, 6.0),
    (9, 7.0),
    (10, 4.0),
    (11, 0.8),
    (12, 1.2),
    (13, 2.0),
    (14, 12.0),
    (15, 0.8),
    (16, 8.0),
    (17, 7.0),
    (18, 0.2),
]);
const PARTNER_MIX: Mix = Mix(&[(6, 40.0), (7, 45.0), (8, 8.0), (13, 7.0)]);
const CRAWLER_MIX: Mix = Mix(&[
    (0, 3.0),
    (1, 60.0),
    (2, 25.0),
    (20, 2.0),
    (21, 3.0),
    (5, 7.0),
]);
const MONITOR_MIX: Mix = Mix(&[(19, 80.0), (0, 20.0)]);
const SCANNER_MIX: Mix = Mix(&[(22, 90.0), (0, 10.0)]);

/// Per-kind cumulative route tables.
pub struct RouteTables {
    tables: Vec<(Vec<u16>, Vec<f64>)>,
}

impl RouteTables {
    pub fn new() -> RouteTables {
        let build = |m: &Mix| {
            (
                m.0.iter().map(|x| x.0).collect::<Vec<_>>(),
                cumulative(m.0.iter().map(|x| x.1)),
            )
        };
        RouteTables {
            tables: vec![
                build(&BROWSER_MIX),
                build(&APP_MIX),
                build(&PARTNER_MIX),
                build(&CRAWLER_MIX),
                build(&MONITOR_MIX),
                build(&SCANNER_MIX),
            ],
        }
    }

    /// A route for a request from this kind of client.
    pub fn draw(&self, kind: ClientKind, rng: &mut Rng) -> &'static Route {
        let i = match kind {
            ClientKind::Browser => 0,
            ClientKind::MobileApp => 1,
            ClientKind::Partner => 2,
            ClientKind::Crawler => 3,
            ClientKind::Monitor => 4,
            ClientKind::Scanner => 5,
        };
        let (ids, cum) = &self.tables[i];
        &ROUTES[ids[rng.weighted(cum)] as usize]
    }
}

const ADJ: &[&str] = &[
    "classic", "wireless", "organic", "compact", "vintage", "ultra", "smart", "cotton", "steel",
    "bamboo", "leather", "travel", "ceramic", "outdoor", "merino", "folding",
];
const NOUN: &[&str] = &[
    "headphones",
    "backpack",
    "kettle",
    "desk-lamp",
    "sneakers",
    "water-bottle",
    "blender",
    "rain-jacket",
    "yoga-mat",
    "coffee-grinder",
    "office-chair",
    "tent",
    "wall-clock",
    "phone-case",
    "chef-knife",
    "hoodie",
];
const CATEGORIES: &[&str] = &[
    "electronics",
    "home-kitchen",
    "outdoor",
    "fashion",
    "sports",
    "office",
    "toys",
    "beauty",
    "garden",
    "books",
    "deals",
];
const SEARCH: &[&str] = &[
    "headphones",
    "usb+c+cable",
    "running+shoes",
    "coffee",
    "desk",
    "gift+for+dad",
    "tent+2+person",
    "kettle",
    "laptop+stand",
    "yoga",
    "rain+jacket+women",
    "blender",
    "lamp",
    "backpack",
    "water+bottle",
    "charger",
    "merino+socks",
    "chair",
];
const IMAGES: &[&str] = &[
    "hero-spring",
    "banner-deals",
    "logo",
    "promo-free-shipping",
    "icon-cart",
];
const SCAN_PATHS: &[&str] = &[
    "/wp-login.php",
    "/.env",
    "/.git/config",
    "/phpmyadmin/index.php",
    "/admin/config.php",
    "/xmlrpc.php",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/cgi-bin/luci/;stok=/locale",
    "/actuator/health",
    "/server-status",
];

/// The hashed asset names of the current frontend build.
pub const ASSET_JS: &str = "/static/js/app.3f9a1c2b.js";
pub const ASSET_CSS: &str = "/static/css/main.8e21d0c4.css";

/// A concrete path for a route.
pub fn path_for(route: &Route, rng: &mut Rng) -> String {
    match route.id {
        0 => "/".to_string(),
        1 => format!(
            "/products/{}-{}-{}",
            rng.pick(ADJ),
            rng.pick(NOUN),
            1000 + rng.below(48_000)
        ),
        2 => {
            if rng.chance(0.6) {
                format!("/category/{}", rng.pick(CATEGORIES))
            } else {
                format!(
                    "/category/{}?page={}",
                    rng.pick(CATEGORIES),
                    2 + rng.below(9)
                )
            }
        }
        3 => ASSET_JS.to_string(),
        4 => ASSET_CSS.to_string(),
        5 => format!("/static/img/{}.webp", rng.pick(IMAGES)),
        6 => {
            if rng.chance(0.5) {
                format!(
                    "/api/v1/products?category={}&page={}",
                    rng.pick(CATEGORIES),
                    1 + rng.below(8)
                )
            } else {
                format!("/api/v1/products?page={}&limit=24", 1 + rng.below(12))
            }
        }
        7 => format!("/api/v1/products/{}", 1000 + rng.below(48_000)),
        8 => format!("/api/v1/search?q={}", rng.pick(SEARCH)),
        9 => "/api/v1/cart".to_string(),
        10 => "/api/v1/cart/items".to_string(),
        11 => format!("/api/v1/cart/items/{}", 1000 + rng.below(48_000)),
        12 => "/api/v1/checkout".to_string(),
        13 => format!("/api/v1/orders/{}", 700_000 + rng.below(90_000)),
        14 => "/api/v1/events".to_string(),
        15 => "/auth/login".to_string(),
        16 => "/auth/token/refresh".to_string(),
        17 => "/auth/session".to_string(),
        18 => "/auth/logout".to_string(),
        19 => "/healthz".to_string(),
        20 => "/robots.txt".to_string(),
        21 => "/sitemap.xml".to_string(),
        22 => rng.pick(SCAN_PATHS).to_string(),
        _ => "/favicon.ico".to_string(),
    }
}

/// A referer for a request (or `-`).
pub fn referer_for(route: &Route, client: &Client, rng: &mut Rng) -> String {
    if client.kind != ClientKind::Browser {
        return "-".to_string();
    }
    match route.kind {
        RouteKind::Page => {
            let r = rng.f64();
            if r < 0.35 {
                "https://www.google.com/".to_string()
            } else if r < 0.45 {
                "https://www.bing.com/".to_string()
            } else if r < 0.75 {
                "https://shop.example.com/".to_string()
            } else {
                "-".to_string()
            }
        }
        _ => {
            if rng.chance(0.5) {
                "https://shop.example.com/".to_string()
            } else {
                format!(
                    "https://shop.example.com/products/{}-{}-{}",
                    rng.pick(ADJ),
                    rng.pick(NOUN),
                    1000 + rng.below(48_000)
                )
            }
        }
    }
}

/// Body bytes of a normal response.
pub fn bytes_for(route: &Route, status: u16, rng: &mut Rng) -> u32 {
    match status {
        204 | 304 => 0,
        401 => 62,
        403 => 153,
        404 => {
            if route.kind == RouteKind::Scan {
                153
            } else {
                94
            }
        }
        429 => 71,
        402 | 400 | 409 => 118,
        500 => 95,
        _ => {
            if route.bytes <= 0.0 {
                0
            } else if route.kind == RouteKind::Static {
                route.bytes as u32
            } else {
                rng.lognormal(route.bytes, 0.35) as u32
            }
        }
    }
}
