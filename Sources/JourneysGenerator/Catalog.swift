/// The shop the generator simulates: its pages, products, campaigns, browsers and chat lines.
///
/// Everything here is fixed data; the person model picks from it with a seeded generator.
enum Catalog {
    static let host = "shop.example.com"
    static let origin: [UInt8] = Array("https://shop.example.com".utf8)

    struct Product {
        let slug: String
        let name: String
        let cents: Int
    }

    static let products: [Product] = {
        let items: [(String, String, Int)] = [
            ("trail-runner", "Trail Runner", 12_990), ("city-sneaker", "City Sneaker", 8_990),
            ("rain-jacket", "Rain Jacket", 14_900), ("wool-beanie", "Wool Beanie", 2_490),
            ("canvas-backpack", "Canvas Backpack", 6_950), ("leather-belt", "Leather Belt", 3_990),
            ("merino-socks", "Merino Socks (3 pairs)", 1_990), ("down-vest", "Down Vest", 11_900),
            ("chino-pants", "Chino Pants", 6_990), ("linen-shirt", "Linen Shirt", 5_490),
        ]
        let colors = ["black", "navy", "olive", "sand"]
        var out: [Product] = []
        for (slug, name, cents) in items {
            for (i, c) in colors.enumerated() {
                out.append(Product(slug: "\(slug)-\(c)", name: name, cents: cents + (i == 3 ? 500 : 0)))
            }
        }
        return out
    }()

    static let categories = ["shoes", "jackets", "accessories", "bags", "basics", "sale"]
    static let blogPosts = ["how-to-choose-running-shoes", "autumn-layering-guide", "caring-for-merino-wool",
                            "packing-list-city-weekend", "sustainability-report-2026", "gift-ideas-under-50",
                            "waterproof-vs-water-resistant", "behind-the-seams"]
    static let searchTerms = ["rain+jacket", "sneakers", "merino", "backpack", "gift+card", "size+guide", "black+friday", "vegan+leather"]

    enum PageKind: UInt8 {
        case home, listing, category, product, blog, search, pricing, cart, checkout, complete
        case login, loginPost, registerPost, account, accountOrders, info, gone
    }

    struct Page {
        let kind: PageKind
        let method: [UInt8]
        let path: [UInt8]
        let status: Int
        /// Typical response size in bytes.
        let bytes: Int
        /// Index into `products` for product pages, else -1.
        let product: Int
    }

    /// Every page a person can request; a page's index is its id in the person model.
    static let pages: [Page] = {
        var p: [Page] = []
        func add(_ k: PageKind, _ path: String, _ bytes: Int, method: String = "GET", status: Int = 200, product: Int = -1) {
            p.append(Page(kind: k, method: Array(method.utf8), path: Array(path.utf8), status: status, bytes: bytes, product: product))
        }
        add(.home, "/", 48_200)
        add(.listing, "/products", 61_500)
        for c in categories { add(.category, "/products?category=\(c)", 55_800) }
        for (i, pr) in products.enumerated() { add(.product, "/products/\(pr.slug)", 38_400, product: i) }
        for b in blogPosts { add(.blog, "/blog/\(b)", 29_700) }
        for t in searchTerms { add(.search, "/search?q=\(t)", 41_000) }
        add(.pricing, "/pricing", 22_300)
        add(.cart, "/cart", 18_900)
        add(.checkout, "/checkout", 24_600)
        add(.complete, "/checkout/complete", 12_100)
        add(.login, "/login", 9_800)
        add(.loginPost, "/login", 0, method: "POST", status: 302)
        add(.registerPost, "/account/register", 0, method: "POST", status: 302)
        add(.account, "/account", 15_200)
        add(.accountOrders, "/account/orders", 17_400)
        for i in ["/faq", "/shipping", "/returns", "/about", "/contact"] { add(.info, i, 14_000) }
        add(.gone, "/products/summer-sandal-2019", 4_100, status: 404)
        add(.gone, "/sale/black-friday-2025", 4_100, status: 404)
        return p
    }()

    static func first(_ k: PageKind) -> Int { pages.firstIndex { $0.kind == k }! }
    static func all(_ k: PageKind) -> [Int] { pages.indices.filter { pages[$0].kind == k } }

    static let home = first(.home)
    static let listing = first(.listing)
    static let categoryPages = all(.category)
    static let productPages = all(.product)
    static let blogPages = all(.blog)
    static let searchPages = all(.search)
    static let pricing = first(.pricing)
    static let cart = first(.cart)
    static let checkout = first(.checkout)
    static let complete = first(.complete)
    static let login = first(.login)
    static let loginPost = first(.loginPost)
    static let registerPost = first(.registerPost)
    static let account = first(.account)
    static let accountOrders = first(.accountOrders)
    static let infoPages = all(.info)
    static let gonePages = all(.gone)

    /// Static files (skipped by the readers as assets); product images follow the fixed ones.
    static let assets: [[UInt8]] = {
        var a = ["/static/css/main.8f3c2a1b.css", "/static/js/app.4d9e7f20.js", "/static/js/vendor.1a2b3c4d.js",
                 "/images/logo.png", "/static/fonts/inter-var.woff2"]
        for pr in products { a.append("/images/products/\(pr.slug).jpg") }
        return a.map { Array($0.utf8) }
    }()
    static let fixedAssets = 5

    struct Agent {
        let text: [UInt8]
        let mobile: Bool
        let weight: Double
    }

    static let agents: [Agent] = [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36", false, 18),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.2792.79", false, 5),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0", false, 4),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15", false, 8),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36", false, 6),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0", false, 1),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1", true, 24),
        ("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36", true, 20),
        ("Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", true, 6),
        ("Mozilla/5.0 (iPad; CPU OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1", true, 4),
    ].map { Agent(text: Array($0.0.utf8), mobile: $0.1, weight: $0.2) }
    static let agentWeights = agents.map(\.weight)

    static let googlebot: [[UInt8]] = [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.6668.70 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    ].map { Array($0.utf8) }
    static let bingbot = Array("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)".utf8)
    static let curl: [[UInt8]] = ["curl/8.5.0", "curl/7.81.0"].map { Array($0.utf8) }

    static let firstNames = ["anna", "ben", "clara", "david", "elena", "felix", "greta", "hugo", "ines", "jonas", "katrin", "luca",
                             "maria", "noah", "olivia", "paul", "quentin", "rosa", "sofia", "tom", "ula", "victor", "wiebke", "yusuf"]
    static let lastNames = ["schmidt", "mueller", "rossi", "dubois", "novak", "jansen", "kowalski", "garcia", "berg", "silva",
                            "fischer", "weber", "moreau", "costa", "horvat", "nielsen", "meyer", "lang", "bauer", "romano"]
    /// Reserved example domains (RFC 2606 / 6761): no real mailbox is named.
    static let mailDomains = ["example.com", "example.net", "example.org", "mail.example", "post.example"]

    /// Newsletter campaigns, one per send; the landing page of each is fixed.
    static let newsletters: [(name: String, category: String, landing: Int)] = [
        ("autumn_sale", "sale", categoryPages[5]), ("new_arrivals", "new_arrivals", listing),
        ("rain_ready", "jackets", productPages[8]), ("black_week_preview", "sale", categoryPages[5]),
        ("winter_collection", "jackets", categoryPages[1]), ("gift_guide", "gifts", blogPages[5]),
        ("merino_week", "basics", productPages[24]), ("last_chance", "sale", home),
    ]
    static let paidSearchCampaigns = ["brand", "generic_shoes", "generic_jackets", "shopping_all"]
    static let paidSocialCampaigns = ["autumn_lookbook", "retargeting_cart", "prospecting_18_34"]
    static let organicSearch: [([UInt8], Double)] = [("https://www.google.com/", 80), ("https://www.bing.com/", 15), ("https://duckduckgo.com/", 5)]
        .map { (Array($0.0.utf8), $0.1) }
    static let organicSocial: [[UInt8]] = ["https://www.facebook.com/", "https://l.facebook.com/", "https://www.instagram.com/",
                                           "https://l.instagram.com/"].map { Array($0.utf8) }
    static let paidSocialReferrers: [[UInt8]] = ["https://m.facebook.com/", "https://l.facebook.com/", "https://www.instagram.com/"].map { Array($0.utf8) }
    static let referralSites: [[UInt8]] = ["https://www.trustpilot.com/review/shop.example.com", "https://blog.example.org/best-rain-jackets-2026",
                                           "https://outdoor-forum.example.net/t/which-trail-runners/8812", "https://news.example.com/style/autumn-picks"]
        .map { Array($0.utf8) }

    // Chat lines. `{p}` is a product name, `{e}` the visitor's email address.
    static let botGreeting = "Hi! I'm Sam, the shop assistant. How can I help you today?"
    static let questions: [(visitor: String, agent: String)] = [
        ("Hi, do you ship to Austria and Switzerland?", "Thanks for reaching out! Yes, we ship to all EU countries and Switzerland."),
        ("How long does delivery to Germany take?", "Delivery within Germany takes 2-3 working days."),
        ("Does the {p} run true to size?", "It runs true to size; if you're between sizes we recommend the larger one."),
        ("Can I return the {p} if it doesn't fit?", "Of course, you have 30 days to return it free of charge."),
        ("My payment failed at checkout, what can I do?", "Sorry about that! Could you try again or use PayPal? I can also send you a payment link."),
        ("Is the \"Club\" membership billed monthly or yearly?", "You can choose either; the yearly plan saves 20%."),
        ("Where is my order? It's been 5 days.", "Let me check that for you. Could you give me your email address?"),
        ("Do you have the {p} in size 44?", "Yes, it's in stock in size 44."),
        ("Grüße aus Wien! Is there a discount for students?", "Yes, students get 10% off with a valid student ID."),
    ]
    static let followUps = ["Great, thanks!", "Thank you, that helps.", "OK, I'll order it now.", "Hmm, that's a bit slow.", "Perfect 👍"]
    static let emailLines = ["Sure, it's {e}", "my email is {e}", "{e}", "You can reach me at {e}, thanks"]
    static let agentFollowUps = ["You're welcome! Anything else I can help with?", "Happy to help. Have a great day!",
                                 "Thanks, I've found your order: it ships tomorrow."]

    static let malformedErrors = [
        "[error] 2211#2211: *88412 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, request: \"GET /checkout HTTP/1.1\"",
        "[warn] 2211#2211: *90122 an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/3/09/0000001093",
        "[crit] 2210#2210: *1 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking",
    ]
}
