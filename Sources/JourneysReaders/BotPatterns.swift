/// Substrings (matched case-insensitively) of user agents that are not people.
///
/// Placeholder list; to be replaced by the maintained list.
enum BotPatterns {
    static let substrings: [String] = [
        "bot", "crawl", "spider", "slurp", "curl/", "wget/", "python-requests", "go-http-client", "headlesschrome",
        "facebookexternalhit", "pingdom", "uptimerobot", "monitor", "scrapy", "httpclient", "java/", "okhttp", "libwww-perl",
    ]
}
