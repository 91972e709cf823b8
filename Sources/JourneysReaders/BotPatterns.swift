// GENERATED FILE — do not edit by hand. Regenerate with:
//     python3 Tests/tools/update_bot_patterns.py crawler-user-agents.json --source-commit <sha>
//
// Source: https://github.com/monperrus/crawler-user-agents (file crawler-user-agents.json,
// commit 75cc57b78322eb8781662091ecdfc9fda9cf69b6), 535 patterns, converted to lower-case literals by the script
// above (see its docstring for the rules). `localAdditions` are not from that snapshot.
//
// The upstream list is distributed under the MIT licence:
//
// The MIT License (MIT)
//
// Copyright (c) 2017 Martin Monperrus
//
// Permission is hereby granted, free of charge, to any person obtaining a copy of
// this software and associated documentation files (the "Software"), to deal in
// the Software without restriction, including without limitation the rights to
// use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of
// the Software, and to permit persons to whom the Software is furnished to do so,
// subject to the following conditions:
//
// The above copyright notice and this permission notice shall be included in all
// copies or substantial portions of the Software.
//
// THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
// IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS
// FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
// COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
// IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
// CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.

/// Lower-cased literals of user agents that are not people (crawlers, monitors, HTTP libraries).
///
/// A user agent is a bot when, lower-cased, it contains one of `substrings` or starts with one
/// of `prefixes`. `UserAgentClassifier` indexes both lists once per process.
enum BotPatterns {
    /// Matched anywhere in the user agent (539 literals, sorted).
    static let substrings: [String] = [
        " ptst/", " sentry/", "007ac9 crawler", "2ip.ru",
        "360spider", "a6-indexer", "aboundex", "acapbot",
        "acoonbot", "adbeat_bot", "addsearchbot", "addthis",
        "adidxbot", "admantx", "adsbot-google", "adsbot-google-mobile",
        "adscanner", "adstxtcrawler", "advbot", "ahc/",
        "ahrefsbot", "ahrefssiteaudit", "aihitbot", "aiohttp",
        "aisearchbot", "alphabot", "amazon cloudfront", "amazonbot",
        "anderspinkbot", "anthropic-ai", "antibot", "anyevent",
        "apercite", "apis-google", "appengine-google", "appinsights",
        "applebot", "arabot", "archive.org_bot", "archivebot",
        "aspiegelbot", "atom feed robot", "awariorssbot", "awariosmartbot",
        "awesomecrawler", "axios", "b2b bot", "backlinkcrawler",
        "baidu-yunguance", "baiduspider", "barkrowler", "bazqux",
        "bdcbot", "behloolbot", "betabot", "better uptime bot",
        "bidswitchbot", "biglotron", "bingbot", "bingpreview/",
        "binlar", "bitbot", "bitlybot", "blackboard",
        "blexbot/", "blogmurabot", "blp_bbot", "bnf.fr_bot",
        "bomborabot", "bot-pge.chlooe.com", "bot.araturka.com", "botify",
        "boxcarbot", "brainobot", "brandonbot", "brandverity",
        "btwebclient", "bubing", "bublupbot", "buck/",
        "buzzbot", "bytespider", "caliperbot", "capsulechecker",
        "careerbot", "cc metadata scaper", "ccbot", "centurybot",
        "changedetection", "chatgpt-user", "check_http", "checkmarknetwork/",
        "chrome-lighthouse", "cincraw", "citeseerxbot", "claude-web",
        "claudebot", "clickagy", "cliqzbot/", "cloudflare-alwaysonline",
        "coccoc", "collection@infegy.com", "companybook-crawler", "content crawler spider",
        "contextad bot", "contxbot", "convera", "cookiebot",
        "crawler4j", "criteobot", "crunchbot", "crystalsemanticsbot",
        "curebot", "cutbot", "cxensebot", "cyberpatrol",
        "dareboost", "datafeedwatch", "datagnionbot", "datanyze",
        "dataprovider.com", "daum/", "dcrawl", "deadlinkchecker",
        "deusu/", "diffbot/", "digg deeper", "digincore bot",
        "discobot", "discordbot", "disqus", "dnyzbot",
        "domain re-animator bot", "domaincrawler", "domains project/", "domainstatsbot",
        "dotbot", "dragonbot", "drupact", "dubbotbot",
        "duckduckbot", "duckduckgo-favicons-bot", "e.ventures investment crawler", "ec2linkfinder",
        "edisterbot", "electricmonk", "elisabot", "embedly",
        "epicbot", "eright", "europarchive.org", "evc-batch",
        "everyonesocialbot", "exabot", "experibot", "extlinksbot",
        "eyeotabot", "ezid", "ezooms", "facebookexternalhit",
        "facebot", "fast enterprise crawler", "fast-webcrawler", "fedoraplanet",
        "feedbin", "feedbot", "feedfetcher-google", "feedly",
        "feedspot", "feedvalidator", "femtosearchbot", "fetch/",
        "fever", "filterdb.iss.net/crawler", "finditanswersbot", "findlink",
        "findthatfile", "findxbot", "flamingo_searchengine", "flipboardproxy",
        "fluffy", "fr-crawler", "freewebmonitoring sitechecker", "freshpingbot",
        "freshrss", "friendica", "fuelbot", "fyrebot",
        "g00g1e.net", "g2 web services", "g2reader-bot", "garlikcrawler",
        "genieo", "gigablast", "gigabot", "gingercrawler",
        "gluten free crawler/", "gnam gnam spider", "gnowitnewsbot", "go-http-client",
        "google favicon", "google web preview", "google-adwords-instant", "google-certificates-bridge",
        "google-inspectiontool", "google-physicalweb", "google-read-aloud", "google-site-verification",
        "google-structured-data-testing-tool", "google-xrawler", "googlebot-image", "googlebot-mobile",
        "googlebot-news", "googlebot-video", "googlebot/", "gowikibot",
        "gptbot", "grapeshotcrawler", "grobbot", "grouphigh/",
        "grub.org", "gslfbot", "gwene", "hatena",
        "headlesschrome", "heritrix", "http_get", "httpunit",
        "httpurlconnection", "httpx", "httrack", "hubspot",
        "ia_archiver", "ias crawler", "icbot/", "icc-crawler",
        "ichiro", "imrbot", "indeedbot", "infoobot",
        "integromedb", "intelium_bot", "interfaxscanbot", "ioncrawl",
        "ip-web-crawler.com", "ips-agent", "iskanie", "istellabot",
        "it2media-domain-crawler", "james bot", "jamie's spider", "jetslide",
        "jetty", "jobboersebot", "jooblebot", "jpg-newsbot",
        "jugendschutzprogramm-crawler", "jyxobot", "k7mlwcbot", "kemvibot",
        "kosmiobot", "landau-media-spider", "laserlikebot", "lb-spider",
        "leikibot", "libwww-perl", "linguee bot", "linkapediabot",
        "linkarchiver", "linkdex", "linkedinbot", "linkisbot",
        "lipperhey", "livelapbot", "lssbot", "lssrocketcrawler",
        "ltx71", "luminator-robots", "magpie-crawler", "mail.ru_bot",
        "mappydata", "mastodon", "mauibot", "mbcrawler",
        "mediapartners (googlebot)", "mediapartners-google", "mediatoolkitbot", "megaindex",
        "meltwaternews", "memorybot", "meta-externalagent", "metajobbot",
        "metauri", "mindupbot", "minicrawler", "miniflux/",
        "mixnodecache/", "mj12bot", "mlbot", "moatbot",
        "mojeekbot/", "moodlebot", "moreover", "msnbot",
        "msrbot", "muckrack", "multiviewbot", "naver blog rssbot",
        "nerdbynature.bot", "nerdybot", "netcraftsurveyagent", "netestate ne crawler",
        "neticle crawler", "netresearchserver", "netvibes", "newsharecounts",
        "newspaper/", "nextcloud", "niki-bot", "nimbostratus-bot",
        "ning/", "ninja bot", "nixstatsbot", "nmap scripting engine",
        "ntentbot", "nutch", "nuzzel", "oai-searchbot",
        "ocarinabot", "odklbot/", "officestorebot", "okhttp",
        "omgili", "online-webceo-bot", "openhosebot", "openindexspider",
        "orangebot/", "outbrain", "outclicksbot", "page2rss",
        "pagepeeker/", "pandalytics", "panscient", "paperlibot",
        "pcore-http", "perplexitybot", "petalbot", "phantomjs",
        "phpcrawl", "pingdom", "pinterest.com.bot", "piplbot",
        "pocketparser", "postrank", "pr-cy.ru", "primalbot",
        "privacyawarebot", "proximic", "psbot", "pulsepoint",
        "purebot", "python-requests", "python-urllib", "qwantify",
        "rankactivelinkbot", "redditbot", "refindbot", "regionstuttgartbot",
        "retrevopageanalyzer", "ridderbot", "rivva", "rogerbot",
        "rssbot/", "rssingbot", "ruxitsynthetic", "rytebot",
        "safednsbot", "safesearch microdata crawler", "sbl-bot", "scoutjet",
        "scrapy", "screaming frog seo spider", "scribdbot", "searchatlas",
        "seekbot", "seekport crawler", "seekportbot", "seewithkids",
        "semanticbot", "semanticscholarbot", "semrushbot", "sentibot",
        "seobilitybot", "seokicks", "seoscanners", "seostar.co",
        "serendeputybot", "serpstatbot/", "seznambot", "simplecrawler",
        "simplepie", "simplescraper", "sistrix crawler", "sitebot",
        "siteexplorer.info", "siteimprove.com", "skypeuripreview", "slack-imgproxy",
        "slackbot", "slurp", "smtbot", "snacktory",
        "snap url preview service", "socialrankiobot", "sogou", "spbot",
        "speedy", "startmebot/", "storygizebot", "streamline3bot/",
        "summify", "superfeedr", "surdotlybot", "surveybot",
        "swimgbot", "sysomos", "taboolabot", "tagoobot",
        "tangibleebot", "telegrambot", "teoma", "theoldreader.com",
        "thinklab", "tigerbot", "tineye", "tiny tiny rss",
        "toplistbot", "toutiaospider", "traackr.com", "tracemyfile",
        "trendictionbot", "trendsmapresolver", "trove", "trovitbot",
        "turnitinbot", "tweetedtimes", "tweetmemebot", "twengabot",
        "twingly", "twitterbot", "twurly", "um-ln",
        "upflow", "uptime-kuma", "uptimebot.org", "uptimerobot",
        "urlappendbot", "usinenouvellecrawler", "ut-dorkbot", "validator.nu",
        "valve/steam", "vebidoobot", "velenpublicwebcrawler", "veoozbot",
        "viber", "vigil/", "virustotal", "vkrobot",
        "vkshare", "voilabot", "voluumdsp-content-bot", "w3c-checklink",
        "w3c-mobileok", "w3c_css_validator", "w3c_i18n-checker", "w3c_unicorn",
        "w3c_validator", "wbsearchbot", "web-archive-net.com.bot", "webcompanycrawler",
        "webdatastats", "webmon ", "wesee:search", "wget",
        "whatsapp", "wocbot", "woobot", "wordupinfosearch",
        "woriobot", "wotbox", "www.uptime.com", "xenu link sleuth",
        "xovibot", "y!j", "yacybot", "yadirectfetcher",
        "yahoo link preview", "yak/", "yandexaccessibilitybot", "yandexadnet",
        "yandexblogs", "yandexbot", "yandexcalendar", "yandexdirect",
        "yandexfavicons", "yandexfordomain", "yandeximageresizer", "yandeximages",
        "yandexmarket", "yandexmedia", "yandexmetrika", "yandexmobilebot",
        "yandexmobilescreenshotbot", "yandexnews", "yandexontodb", "yandexpagechecker",
        "yandexpartner", "yandexrca", "yandexscreenshotbot", "yandexsearchshop",
        "yandexsitelinks", "yandexspravbot", "yandextracker", "yandexturbo",
        "yandexverticals", "yandexvertis", "yandexvideo", "yandexwebmaster",
        "yanga", "yeti", "yisouspider", "yoozbot",
        "zabbix", "zenback bot", "zgrab", "zoombot",
        "zoominfobot", "zumbot", "zuperlistbot/",
    ]

    /// Matched at the start of the user agent only (upstream patterns anchored with `^`).
    static let prefixes: [String] = [
        "apache-httpclient", "curl", "lcc ", "php-curl-class",
        "ptst/", "sentry/",
    ]

    /// The literals in `substrings` added locally rather than taken from the upstream snapshot.
    static let localAdditions: [String] = [
        "anthropic-ai", "chatgpt-user", "claude-web", "claudebot",
        "google-inspectiontool", "gptbot", "meta-externalagent", "oai-searchbot",
        "perplexitybot",
    ]
}
