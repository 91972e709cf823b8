import JourneysCore

/// A named, documented set of reader options for one source's logs, shipped as data: the
/// `jsonl` reader with a field and value map (email providers, chat tools), or a web reader with
/// a log format or field map (load balancers, proxies).
///
/// `format: postmark` (or `--format postmark`, or auto-detection) reads with the preset's
/// options; a source's own `fields`, `actions`, `ignore`, `constants`, `records` and
/// `time_format` are laid over them (a role or key the source names replaces the preset's, the
/// rest stay). A preset's keys are those of a pipeline source, so `journeys formats` prints each
/// one in the form a pipeline takes: copy it into a source with `format: jsonl` and edit it to
/// read a provider that is not built in.
public struct Preset: Sendable {
    /// The reader a preset sets up.
    public enum Base: Sendable {
        case jsonl
        /// The `nginx` reader with this `log_format`.
        case nginx(logFormat: String)
        case jsonAccess
        case w3c

        var isW3C: Bool { if case .w3c = self { true } else { false } }
    }
    public var base: Base = .jsonl
    public let name: String
    public let channel: Channel
    public let summary: String
    /// Where the shape and the event names come from.
    public let docs: String
    public var records: String? = nil
    public var unwrap: String? = nil
    public var fields: [String: String] = [:]
    public var actions: [String: String] = [:]
    public var ignore: [String] = []
    public var constants: [String: String] = [:]
    public var values: [String: [String: String]] = [:]
    /// The zone the provider writes offset-less times in (Brevo's `date` is Paris time); a
    /// source's own `timezone` wins, the pipeline's does not.
    public var timezone: String? = nil
    /// Auto-detection: a JSON line is this preset's when it contains every one of these strings
    /// of one group (as JSON strings, `"RecordType"`); a line of a log-format preset when it
    /// contains every one of a group (as text) and its log format reads it.
    public var detect: [[String]] = []

    /// The preset's options under a source's own.
    public func options(under o: ReaderOptions) -> ReaderOptions {
        var r = o
        r.channel = channel
        r.watchedRoles = o.watchedRoles ?? Set(o.fields.keys)
        if case .nginx(let f) = base { r.logFormat = o.logFormat ?? f }
        r.fields = fields.merging(o.fields) { _, mine in mine }
        r.actions = actions.merging(o.actions) { _, mine in mine }
        r.ignore = Array(Set(ignore).union(o.ignore)).sorted()
        r.constants = constants.merging(o.constants) { _, mine in mine }
        r.records = o.records ?? records
        r.unwrap = o.unwrap ?? unwrap
        r.values = values.merging(o.values) { preset, mine in preset.merging(mine) { _, m in m } }
        if let timezone, !o.timezoneIsSources, let z = try? Zone.named(timezone) { r.timezone = z }
        return r
    }

    /// - Parameter reader: for a log-format preset, a reader of its format (made once, copied per line).
    public func sniff(_ line: UnsafeBufferPointer<UInt8>, reader: NginxAccessReader? = nil) -> Bool {
        switch base {
        case .jsonl, .jsonAccess:
            guard JSONLine.looksLikeJSON(line) else { return false }
            return detect.contains { group in group.allSatisfy { JSONLine.mentions(line, $0) } }
        case .nginx:
            guard detect.contains(where: { group in group.allSatisfy { UserAgentClassifier.contains(line, Array($0.utf8)) } }),
                  var reader else { return false }
            var out = TouchpointBuffer()
            if case .rejected = reader.read(line, origin: Origin(input: 0, line: 1, offset: 0), into: &out) { return false }
            return true
        case .w3c:
            return false // the w3c reader recognises its own header
        }
    }

    /// The preset as the keys of a pipeline source (for `journeys formats`).
    public var asSource: String {
        func quoted(_ s: String) -> String {
            s.allSatisfy { $0.isLetter || $0.isNumber || "_-./|".contains($0) } && !s.isEmpty ? s : "\"" + s + "\""
        }
        func map(_ m: [String: String]) -> String {
            "{" + m.sorted { $0.key < $1.key }.map { "\(quoted($0.key)): \(quoted($0.value))" }.joined(separator: ", ") + "}"
        }
        var lines: [String]
        switch base {
        case .jsonl: lines = ["format: jsonl", "channel: \(channel.rawValue)"]
        case .nginx(let f): lines = ["format: nginx", "log_format: '\(f)'"]
        case .jsonAccess: lines = ["format: json_access"]
        case .w3c: lines = ["format: w3c"]
        }
        if let unwrap { lines.append("unwrap: \(quoted(unwrap))") }
        if let records { lines.append("records: \(quoted(records))") }
        if !fields.isEmpty { lines.append("fields: \(map(fields))") }
        if let timezone { lines.append("timezone: \(timezone)") }
        if !actions.isEmpty { lines.append("actions: \(map(actions))") }
        if !ignore.isEmpty { lines.append("ignore: [" + ignore.sorted().map(quoted).joined(separator: ", ") + "]") }
        if !constants.isEmpty { lines.append("constants: \(map(constants))") }
        if !values.isEmpty {
            lines.append("values: {" + values.sorted { $0.key < $1.key }.map { "\(quoted($0.key)): \(map($0.value))" }.joined(separator: ", ") + "}")
        }
        return lines.joined(separator: "\n")
    }

    public var descriptor: ReaderDescriptor {
        let preset = self
        var prototype: NginxAccessReader?
        if case .nginx(let f) = base { prototype = try? NginxAccessReader(logFormat: f, options: options(under: ReaderOptions())) }
        let proto = prototype
        var sniff: (@Sendable (UnsafeBufferPointer<UInt8>) -> Bool)?
        if !base.isW3C { sniff = { @Sendable line in preset.sniff(line, reader: proto) } }
        let reader: String = switch base {
        case .jsonl: "jsonl"
        case .nginx: "nginx"
        case .jsonAccess: "json_access"
        case .w3c: "w3c"
        }
        return ReaderDescriptor(
            name: name, channel: channel.rawValue, summary: "\(summary) (preset of \(reader); \(docs))",
            options: "the \(reader) reader's, laid over these:\n" + asSource.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"),
            make: { (o: ReaderOptions) throws(ConfigError) -> any LogReader in
                let r = preset.options(under: o)
                switch preset.base {
                case .jsonl: return try GenericJSONReader(options: r)
                case .nginx(let f): return try NginxAccessReader(logFormat: r.logFormat ?? f, options: r)
                case .jsonAccess: return try JSONAccessReader(options: r)
                case .w3c: return W3CExtendedReader(options: r)
                }
            },
            sniff: sniff)
    }
}

/// The built-in presets. Each provider's event names are mapped to touchpoint actions from
/// its own documentation (`docs`); `fixtures/email/providers/` holds its documented examples
/// with the expected touchpoints worked out by hand.
public enum Presets {
    public static let all: [Preset] = [mailgun, postmark, brevo, mailjet, mandrill, sparkpost, resend, postal, mailersend,
                                       intercom, livechat, crisp, zendeskChat, zendeskSupport, hubspot, freshchat, tawkto, drift,
                                       alb, elb, s3, cloudfront, haproxy, ingressNginx, vhostCombined, caddy, traefik]

    /// Mailgun webhooks (`{"signature":…,"event-data":{…}}`) and pages of its events API
    /// (`{"items":[…],"paging":…}`).
    static let mailgun = Preset(
        name: "mailgun", channel: .email,
        summary: "Mailgun: webhook bodies and events API pages",
        docs: "documentation.mailgun.com, events and webhooks",
        records: "event-data|items[]",
        fields: ["time": "timestamp", "email": "recipient|message.headers.to", "action": "event", "event_id": "id",
                 "url": "url", "text": "delivery-status.description|delivery-status.message|reject.reason"],
        actions: [
            "accepted": "email_processed", "delivered": "email_delivered",
            // "temporary": Mailgun will re-attempt delivery; suppress-*: never attempted (code 605).
            "failed[severity=temporary]": "email_deferred",
            "failed[severity=permanent]": "email_bounce:hard",
            "failed[severity=permanent, reason=suppress-*]": "email_dropped",
            "rejected": "email_dropped",
            "opened": "email_open",
            // client-info.bot: "apple" (Mail Privacy Protection) and "generic" proxies open on delivery.
            "opened[client-info.bot=apple]": "email_machine_open",
            "opened[client-info.bot=generic]": "email_machine_open",
            "clicked": "email_click", "unsubscribed": "email_unsubscribe", "complained": "email_complaint",
        ],
        ignore: ["stored", "list_member_uploaded", "list_member_upload_error", "list_uploaded"],
        detect: [["event-data", "signature"], ["items", "paging", "recipient"]])

    /// Postmark webhooks: the time and recipient fields change with the record type.
    static let postmark = Preset(
        name: "postmark", channel: .email,
        summary: "Postmark webhooks (Delivery, Bounce, SpamComplaint, Open, Click, SubscriptionChange)",
        docs: "postmarkapp.com/developer/webhooks",
        fields: ["time": "DeliveredAt|BouncedAt|ReceivedAt|ChangedAt", "email": "Recipient|Email", "action": "RecordType",
                 "url": "OriginalLink", "text": "Details|Description", "campaign": "Tag"],
        actions: [
            "Delivery": "email_delivered",
            "Bounce": "email_bounce:hard",
            "Bounce[Type=SoftBounce]": "email_bounce:soft",
            "Bounce[Type=Transient]": "email_deferred",
            "Open": "email_open", "Click": "email_click", "SpamComplaint": "email_complaint",
            "SubscriptionChange[SuppressSending=true, SuppressionReason=ManualSuppression]": "email_unsubscribe",
            "SubscriptionChange[SuppressSending=false]": "email_resubscribe",
            // Suppressed because of a bounce or complaint Postmark reports as its own record.
            "SubscriptionChange": "ignore",
        ],
        detect: [["RecordType", "MessageID"]])

    /// Brevo (formerly Sendinblue) transactional webhooks. `date` is Paris time, which a fixed
    /// offset cannot read across daylight saving, so only the epoch fields are read.
    static let brevo = Preset(
        name: "brevo", channel: .email,
        summary: "Brevo (Sendinblue) transactional webhooks",
        docs: "developers.brevo.com/docs/transactional-webhooks",
        // ts_epoch and ts_event are UTC; `date` is in Paris time ("CET/CEST Timezone"), the last resort.
        fields: ["time": "ts_epoch|ts_event|date", "email": "email", "action": "event", "url": "link", "text": "reason", "campaign": "tags.0"],
        actions: [
            "request": "email_processed", "delivered": "email_delivered", "deferred": "email_deferred",
            "blocked": "email_dropped", "invalid_email": "email_dropped", "error": "email_dropped",
            "hard_bounce": "email_bounce:hard", "soft_bounce": "email_bounce:soft",
            "opened": "email_open", "unique_opened": "email_open",
            "proxy_open": "email_machine_open", "unique_proxy_open": "email_machine_open",
            "click": "email_click", "spam": "email_complaint", "complaint": "email_complaint",
            "unsubscribe": "email_unsubscribe", "unsubscribed": "email_unsubscribe",
        ],
        timezone: "Europe/Paris",
        detect: [["event", "email", "ts_epoch"], ["event", "email", "ts_event"], ["event", "email", "message-id", "proxy_open"]])

    /// Mailjet event API: one event, or an array of them when "group events" is on.
    static let mailjet = Preset(
        name: "mailjet", channel: .email,
        summary: "Mailjet event webhooks (single or grouped)",
        docs: "dev.mailjet.com/email/guides/webhooks",
        fields: ["time": "time", "email": "email", "action": "event", "url": "url", "text": "error|comment", "campaign": "customcampaign"],
        actions: [
            "sent": "email_delivered", "open": "email_open", "click": "email_click",
            "bounce[hard_bounce=true]": "email_bounce:hard", "bounce[hard_bounce=false]": "email_bounce:soft",
            // "greylisted: … Delivery will be re-attempted"
            "bounce[error=greylisted]": "email_deferred",
            "blocked": "email_dropped", "spam": "email_complaint", "unsub": "email_unsubscribe",
        ],
        detect: [["MessageID", "mj_contact_id"], ["Message_GUID", "event"]])

    /// Mandrill (Mailchimp Transactional): the `mandrill_events` form field, one POST per line.
    static let mandrill = Preset(
        name: "mandrill", channel: .email,
        summary: "Mandrill (Mailchimp Transactional) webhooks: {\"mandrill_events\":[…]} or the bare array",
        docs: "mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks",
        // The form field as posted holds the events as a JSON string; decoded, as an array.
        records: "mandrill_events[]|[]", unwrap: "mandrill_events",
        fields: ["time": "ts", "email": "msg.email", "action": "event|type", "url": "url", "text": "msg.diag|msg.bounce_description",
                 "event_id": "_id"],
        actions: [
            "send": "email_processed", "deferral": "email_deferred",
            "hard_bounce": "email_bounce:hard", "soft_bounce": "email_bounce:soft",
            "open": "email_open", "click": "email_click", "spam": "email_complaint",
            "unsub": "email_unsubscribe", "reject": "email_dropped",
        ],
        // Sync events (rejection / allow list changes) are not message events.
        ignore: ["blacklist", "whitelist"],
        detect: [["mandrill_events"], ["msg", "_id", "ts", "event"]])

    /// SparkPost webhooks: an array of `{"msys":{"<class>_event":{…}}}`.
    static let sparkpost = Preset(
        name: "sparkpost", channel: .email,
        summary: "SparkPost webhook batches ([{\"msys\":{…_event:{…}}}])",
        docs: "developers.sparkpost.com/api/webhooks, bounce classes at support.sparkpost.com",
        records: "[].msys.*|msys.*",
        fields: ["time": "timestamp", "email": "rcpt_to|raw_rcpt_to", "action": "type", "url": "target_link_url",
                 "text": "reason|raw_reason", "campaign": "campaign_id"],
        actions: [
            "injection": "email_processed", "delivery": "email_delivered", "delay": "email_deferred",
            // Bounce classes: Hard (10, 30, 90); Admin (25, 80: policy, not sent); the rest Soft,
            // Block or Undetermined.
            "bounce": "email_bounce:soft", "out_of_band": "email_bounce:soft",
            "bounce[bounce_class=10]": "email_bounce:hard", "bounce[bounce_class=30]": "email_bounce:hard",
            "bounce[bounce_class=90]": "email_bounce:hard", "bounce[bounce_class=25]": "email_dropped",
            "bounce[bounce_class=80]": "email_dropped",
            "out_of_band[bounce_class=10]": "email_bounce:hard", "out_of_band[bounce_class=30]": "email_bounce:hard",
            "out_of_band[bounce_class=90]": "email_bounce:hard",
            "policy_rejection": "email_dropped", "generation_rejection": "email_dropped",
            "open": "email_open", "initial_open": "email_open", "amp_open": "email_open", "amp_initial_open": "email_open",
            "click": "email_click", "amp_click": "email_click", "spam_complaint": "email_complaint",
            "list_unsubscribe": "email_unsubscribe", "link_unsubscribe": "email_unsubscribe",
        ],
        ignore: ["generation_failure", "sms_status", "relay_injection", "relay_rejection", "relay_delivery",
                 "relay_tempfail", "relay_permfail", "ab_test_completed", "ab_test_cancelled", "success", "fail"],
        detect: [["msys"]])

    /// Resend webhooks (delivered through Svix).
    static let resend = Preset(
        name: "resend", channel: .email,
        summary: "Resend webhooks (email.sent, email.delivered, …)",
        docs: "resend.com/docs/dashboard/webhooks/event-types",
        fields: ["time": "created_at", "email": "data.to.0", "action": "type", "url": "data.click.link",
                 "text": "data.bounce.message"],
        actions: [
            "email.sent": "email_processed", "email.delivered": "email_delivered",
            "email.delivery_delayed": "email_deferred",
            "email.delivered_delayed": "email_deferred", // the name in Resend's own example
            "email.bounced": "email_bounce:hard", "email.complained": "email_complaint",
            "email.opened": "email_open", "email.clicked": "email_click",
            "email.failed": "email_dropped", "email.suppressed": "email_dropped",
        ],
        ignore: ["email.scheduled", "email.received", "contact.*", "domain.*"],
        detect: [["type", "email_id", "created_at"]])

    /// Postal webhooks: the event name in the envelope, the rest under `payload`.
    static let postal = Preset(
        name: "postal", channel: .email,
        summary: "Postal mail server webhooks",
        docs: "docs.postalserver.io/developer/webhooks",
        fields: ["time": "payload.timestamp|timestamp", "email": "payload.message.to|payload.original_message.to",
                 "action": "event", "url": "payload.url", "text": "payload.details", "event_id": "uuid"],
        actions: [
            "MessageSent": "email_delivered", "MessageDelayed": "email_deferred", "MessageHeld": "email_dropped",
            "MessageDeliveryFailed": "email_bounce:hard", "MessageBounced": "email_bounce",
            "MessageLoaded": "email_open", "MessageLinkClicked": "email_click",
            // Mail received by the server, not sent to a customer.
            "MessageDeliveryFailed[payload.message.direction=incoming]": "ignore",
            "MessageSent[payload.message.direction=incoming]": "ignore",
        ],
        ignore: ["DomainDNSError", "SendLimitApproaching", "SendLimitExceeded"],
        detect: [["event", "payload", "uuid"]])

    /// MailerSend activity webhooks.
    static let mailersend = Preset(
        name: "mailersend", channel: .email,
        summary: "MailerSend activity webhooks",
        docs: "developers.mailersend.com/api/v1/webhooks.html",
        fields: ["time": "data.created_at", "email": "data.email.recipient.email", "action": "type",
                 "url": "data.morph.url", "text": "data.morph.reason", "event_id": "data.id"],
        actions: [
            "activity.sent": "email_processed", "activity.delivered": "email_delivered",
            "activity.soft_bounced": "email_bounce:soft", "activity.hard_bounced": "email_bounce:hard",
            "activity.opened": "email_open", "activity.opened_unique": "email_open",
            "activity.clicked": "email_click", "activity.clicked_unique": "email_click",
            "activity.spam_complaint": "email_complaint", "activity.unsubscribed": "email_unsubscribe",
        ],
        detect: [["type", "data", "morph"]])

    /// Intercom conversations (REST `GET /conversations/{id}`, or a webhook's `data.item`): the
    /// first message (`source`), each conversation part, and the rating are records; each takes
    /// the conversation's id, contact and time when it has none of its own.
    static let intercom = Preset(
        name: "intercom", channel: .chat,
        summary: "Intercom conversations (REST or webhook notifications): source, conversation parts, rating",
        docs: "developers.intercom.com, REST API 2.14 Conversation model",
        records: "data.item.source+data.item.conversation_parts.conversation_parts[]+data.item.conversation_rating"
            + "|source+conversation_parts.conversation_parts[]+conversation_rating",
        fields: ["time": "created_at", "action": "part_type|type", "chat_visitor": "contact.id|contacts.contacts.0.id",
                 "customer": "contacts.contacts.0.external_id", "email": "author.email", "conversation": "^id",
                 "event_id": "id", "text": "body|remark", "score": "rating", "agent": "author.id|author.email|teammate.id"],
        actions: [
            // Who wrote a message: author.type (user, lead, contact: the person; admin, team: an
            // agent; bot, or an admin part sent by Fin, from_ai_agent: a bot).
            "*[author.type=user]": "chat_message_visitor", "*[author.type=lead]": "chat_message_visitor",
            "*[author.type=contact]": "chat_message_visitor",
            "*[author.type=admin]": "chat_message_agent", "*[author.type=team]": "chat_message_agent",
            "*[author.type=bot]": "chat_message_bot",
            "*[author.type=admin, author.from_ai_agent=true]": "chat_message_bot",
            "conversation[rating=*]": "chat_rating",
            "close": "chat_closed",
            // A reopen without a message.
            "open[body=]": "ignore",
        ],
        // Internal notes, assignments, snoozes, attribute and app-action logs: not messages.
        ignore: ["note", "assignment", "assign_and_reopen", "away_mode_assignment", "default_assignment", "snoozed", "unsnoozed",
                 "timer_unsnooze", "conversation_attribute_updated_by_admin", "conversation_attribute_updated_by_user",
                 "custom_action_started", "custom_action_finished", "participant_added", "participant_removed",
                 "conversation_tag_added", "conversation_tag_removed", "language_detection_details", "ticket_state_updated_by_admin"],
        detect: [["conversation_parts", "contacts"], ["notification_event", "conversation"]])

    /// LiveChat (Text platform API v3): webhooks, `get_chat`, archives and chat objects. The role
    /// comes from the author's id: LiveChat agent ids are their login e-mails, customer ids are
    /// not, so an author id with an `@` is an agent's.
    static let livechat = Preset(
        name: "livechat", channel: .chat,
        summary: "LiveChat webhooks, chats and archives (API v3.x): thread events, ratings, chat ends",
        docs: "platform.text.com/docs/messaging, livechat/livechat-public-docs",
        records: "payload.event|payload.properties.rating|payload.chat.thread.events[]|thread.events[]|chats[].thread.events[]"
            + "|threads[].events[]|payload",
        fields: ["time": "created_at", "action": "type|action", "chat_visitor": "author_id|users[type=customer].id|user_id",
                 "conversation": "chat_id|^chat_id|^^id", "event_id": "id", "text": "text|comment", "score": "score",
                 "agent": "author_id"],
        actions: [
            "message": "chat_message_visitor", "message[author_id=*@*]": "chat_message_agent",
            "file": "chat_message_visitor", "file[author_id=*@*]": "chat_message_agent",
            "rich_message": "chat_message_visitor", "rich_message[author_id=*@*]": "chat_message_agent",
            // With a time of its own (an archive's thread properties), a rating is a rating.
            "thread_properties_updated[score=*, created_at=*]": "chat_rating", "chat_properties_updated[score=*, created_at=*]": "chat_rating",
        ],
        // LiveChat's rating and chat_deactivated webhooks carry no time: not placeable, ignored.
        ignore: ["system_message", "filled_form", "custom", "system", "thread_properties_updated", "chat_properties_updated", "chat_deactivated",
                 "incoming_chat", "chat_access_granted", "chat_access_revoked", "user_added_to_chat", "user_removed_from_chat",
                 "thread_tagged", "thread_untagged", "routing_status_set", "incoming_rich_message_postback", "event_properties_updated"],
        // Rating: score 1 thumbs up ("good"), 0 thumbs down ("bad"), on the chat reader's 1-5 scale.
        values: ["score": ["1": "4", "0": "2"]],
        detect: [["webhook_id", "organization_id", "payload"], ["thread", "author_id"], ["threads", "author_id"]])

    /// Crisp web hooks and RTM events: `{website_id, event, data, timestamp}`.
    static let crisp = Preset(
        name: "crisp", channel: .chat,
        summary: "Crisp web hooks (message:send, message:received, …)",
        docs: "docs.crisp.chat/references/web-hooks/v1",
        fields: ["time": "data.timestamp|timestamp", "action": "event", "chat_visitor": "data.user.user_id|data.session_id",
                 "conversation": "data.session_id", "text": "data.content", "event_id": "data.fingerprint", "agent": "data.user.user_id"],
        actions: [
            "message:send[data.from=user]": "chat_message_visitor", "message:send[data.from=operator]": "chat_message_agent",
            "message:received[data.from=user]": "chat_message_visitor", "message:received[data.from=operator]": "chat_message_agent",
            "message:send": "chat_message_visitor", "message:received": "chat_message_agent",
        ],
        ignore: ["message:updated", "message:removed", "message:acknowledge:*", "message:notify:*", "message:compose:*",
                 "session:*", "people:*", "campaign:*", "email:*", "status:*", "bucket:*", "website:*", "plugin:*", "widget:*"],
        detect: [["website_id", "event", "data"]])

    /// Zendesk Chat (Zopim) REST chats: an offline message is the visitor's; a chat's messages
    /// are its `history[]`, each with the chat's visitor and id. `nick` tells who wrote:
    /// `agent:trigger` a trigger (bot), `agent:system` the system, `agent:<id>` an agent.
    static let zendeskChat = Preset(
        name: "zendesk_chat", channel: .chat,
        summary: "Zendesk Chat REST chats (GET /chats, incremental export): offline messages and chat history",
        docs: "developer.zendesk.com/api-reference/live-chat/chat-api/chats",
        records: "chats[].history[]+chats[]|history[]+@",
        fields: ["time": "timestamp", "action": "type", "chat_visitor": "visitor.id|nick", "email": "visitor.email",
                 "conversation": "^id|id", "text": "msg|message|new_comment", "score": "new_rating", "agent": "nick"],
        actions: [
            "offline_msg": "chat_message_visitor",
            "chat.msg": "chat_message_visitor", "chat.msg[nick=agent:*]": "chat_message_agent",
            "chat.msg[nick=agent:trigger]": "chat_message_bot", "chat.msg[nick=agent:system]": "ignore",
            "chat.file": "chat_message_visitor", "chat.file[nick=agent:*]": "chat_message_agent",
            "chat.memberjoin[nick=visitor*]": "chat_started", "chat.memberleave[nick=visitor*]": "chat_closed",
            "chat.rating[new_rating=*]": "chat_rating",
        ],
        // The chat object itself (its messages are the records), agents joining and leaving, a
        // rating requested or removed, a rating's comment, queue and typing notices.
        ignore: ["chat", "chat.memberjoin", "chat.memberleave", "chat.request.rating", "chat.rating", "chat.comment",
                 "chat.event", "chat.queue_position", "chat.wait_queue", "typing", "last_read"],
        // A nick `visitor:<id>` names the visitor; a bare `visitor` names nobody.
        values: ["score": ["good": "4", "bad": "2"], "chat_visitor": ["visitor:*": "*", "visitor": ""]],
        detect: [["visitor", "offline_msg"], ["visitor", "history", "chat.msg"]])

    /// Zendesk Support: satisfaction ratings (good / bad; offered and unoffered are ignored) and
    /// tickets (the requester contacting support: a chat start at the ticket's creation). The
    /// requester is the person; the assignee never is.
    static let zendeskSupport = Preset(
        name: "zendesk_support", channel: .chat,
        summary: "Zendesk Support exports: satisfaction ratings, tickets, ticket events",
        docs: "developer.zendesk.com/api-reference/ticketing",
        records: "satisfaction_ratings[]|tickets[]|ticket|ticket_events[].child_events[]|comments[]",
        fields: ["time": "created_at", "action": "score|event_type|status|type", "customer": "requester_id",
                 "conversation": "ticket_id|^ticket_id|id", "text": "comment|body", "score": "score",
                 "event_id": "id", "agent": "assignee_id|author_id"],
        actions: [
            "good": "chat_rating", "bad": "chat_rating", "offered": "ignore", "unoffered": "ignore",
            "new": "chat_started", "open": "chat_started", "pending": "chat_started", "hold": "chat_started",
            "solved": "chat_started", "closed": "chat_started",
        ],
        // A comment names its author but not whether the author is the requester or an agent,
        // nor (in ticket events and the comments list) the requester: not placed in a journey.
        ignore: ["Comment", "VoiceComment", "Create", "Change", "Notification"],
        values: ["score": ["good": "4", "bad": "2"]],
        detect: [["satisfaction_ratings"], ["tickets", "requester_id"], ["ticket", "requester_id"], ["ticket_events", "child_events"]])

    /// HubSpot Conversations API v3 message lists (`GET …/threads/{id}/messages`) and thread
    /// lists. The sender's actor id says who wrote: `V-` a visitor, `A-` an agent, `B-` a bot,
    /// `S-` the system; a visitor's `V-1551` is contact 1551, the thread's `associatedContactId`.
    static let hubspot = Preset(
        name: "hubspot", channel: .chat,
        summary: "HubSpot conversations (v3): thread messages and threads",
        docs: "developers.hubspot.com/docs/api-reference/conversations-conversations-v3",
        records: "results[]|@",
        fields: ["time": "createdAt", "action": "type|status", "chat_visitor": "senders.0.actorId|recipients.0.actorId|associatedContactId",
                 "conversation": "conversationsThreadId|id", "text": "text", "event_id": "id", "agent": "senders.0.actorId"],
        actions: [
            "MESSAGE[senders.0.actorId=V-*]": "chat_message_visitor", "MESSAGE[senders.0.actorId=A-*]": "chat_message_agent",
            "MESSAGE[senders.0.actorId=B-*]": "chat_message_bot", "WELCOME_MESSAGE[senders.0.actorId=B-*]": "chat_message_bot",
            "OPEN": "chat_started", "CLOSED": "chat_started",
        ],
        // Status changes and assignments name no person; system greetings are automatic.
        ignore: ["THREAD_STATUS_CHANGE", "ASSIGNMENT", "WELCOME_MESSAGE", "COMMENT", "MESSAGE[senders.0.actorId=S-*]"],
        // A visitor's actor id is `V-` and the contact's id: one key for messages and threads.
        values: ["chat_visitor": ["V-*": "*"]],
        detect: [["results", "conversationsThreadId"], ["results", "associatedContactId", "threadAssociations"]])

    /// Freshchat webhooks (`message_create`, `conversation_reopen`, …) and API message objects.
    static let freshchat = Preset(
        name: "freshchat", channel: .chat,
        summary: "Freshchat webhooks and API v2 messages",
        docs: "support.freshchat.com, Freshchat webhooks payload structure",
        fields: ["time": "data.message.created_time|created_time|action_time", "action": "action|message_type",
                 "chat_visitor": "data.message.user_id|data.message.actor_id|data.reopen.reopener_id|user_id|actor_id",
                 "conversation": "data.message.conversation_id|data.reopen.conversation.conversation_id|conversation_id",
                 "text": "data.message.message_parts.0.text.content|data.message.msg_parts.0.properties.text|message_parts.0.text.content",
                 "event_id": "data.message.id|id", "agent": "actor.actor_id|org_actor_id|actor_id"],
        actions: [
            "message_create[actor.actor_type=user]": "chat_message_visitor", "message_create[actor.actor_type=agent]": "chat_message_agent",
            "message_create[actor.actor_type=bot]": "chat_message_bot", "message_create[actor.actor_type=system]": "ignore",
            "normal[actor_type=user]": "chat_message_visitor", "normal[actor_type=agent]": "chat_message_agent",
            "normal[actor_type=bot]": "chat_message_bot", "normal[actor_type=system]": "ignore",
            "conversation_reopen[data.reopen.reopener=user]": "chat_started",
        ],
        // A resolution or an assignment names only the agent, no person.
        ignore: ["conversation_resolution", "conversation_assignment", "conversation_reopen", "private"],
        detect: [["actor", "actor_type", "action_time"], ["actor_type", "conversation_id", "message_parts"]])

    /// tawk.to webhooks: chat start and end, and transcripts (each message a record).
    static let tawkto = Preset(
        name: "tawkto", channel: .chat,
        summary: "tawk.to webhooks: chat:start, chat:end, chat:transcript_created",
        docs: "developer.tawk.to/webhooks",
        records: "chat.messages[]|@",
        fields: ["time": "time", "action": "type|event", "email": "visitor.email|chat.visitor.email",
                 "conversation": "chatId|chat.id", "text": "message.text|msg"],
        actions: [
            "chat:start": "chat_started", "chat:end": "chat_closed",
            "msg[sender.t=v]": "chat_message_visitor", "msg[sender.t=a]": "chat_message_agent", "msg[sender.t=s]": "ignore",
        ],
        ignore: ["ticket:create"],
        detect: [["event", "chatId", "visitor", "property"], ["chat:transcript_created"]])

    /// Drift: conversations (the person is `contactId`) and messages (`new_message` webhooks'
    /// `data`, or a message list's `data.messages[]`). An agent's message names no contact, so
    /// it is ignored: only the contact's own messages and conversation starts are the person's.
    static let drift = Preset(
        name: "drift", channel: .chat,
        summary: "Drift conversations and messages (API and new_message webhooks)",
        docs: "devdocs.drift.com/docs/conversation-model, message-model",
        records: "data.messages[]|data|@",
        fields: ["time": "createdAt", "action": "type|status", "chat_visitor": "author.id|contactId",
                 "conversation": "conversationId|id", "text": "body", "event_id": "id"],
        actions: [
            "chat[author.type=contact]": "chat_message_visitor", "chat[author.type=contact, author.bot=true]": "chat_message_bot",
            "open": "chat_started", "closed": "chat_started", "pending": "chat_started",
        ],
        // Agents' messages (no contact in the record), private notes and prompts, bulk sends.
        ignore: ["chat", "private_note", "private_prompt", "suggestion", "edit", "bulk_sent", "new_command_message",
                 "contact_identified", "conversation_status_updated"],
        detect: [["contactId", "inboxId"], ["messages", "conversationId", "author"]])

    // MARK: Web: load balancers, storage, proxies

    /// AWS Application Load Balancer access logs: the client's port is cut off its address, the
    /// status is the load balancer's (`elb_status_code`), the response time the target's
    /// (`target_processing_time`, seconds). Fields AWS appends later are read and ignored.
    static let alb = Preset(
        base: .nginx(logFormat: #"$alb_type $time_iso8601 $alb_name $remote_addr:$remote_port $alb_target $alb_request_processing_time $upstream_response_time $alb_response_processing_time $status $alb_target_status $alb_received_bytes $body_bytes_sent "$request" "$http_user_agent" $alb_rest"#),
        name: "alb", channel: .web,
        summary: "AWS Application Load Balancer access logs",
        docs: "docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-access-logs.html",
        detect: [[" app/"], ["Root="]])

    /// AWS Classic Load Balancer (ELB) access logs.
    static let elb = Preset(
        base: .nginx(logFormat: #"$time_iso8601 $elb_name $remote_addr:$remote_port $elb_backend $elb_request_processing_time $upstream_response_time $elb_response_processing_time $status $elb_backend_status $elb_received_bytes $body_bytes_sent "$request" "$http_user_agent" $elb_rest"#),
        name: "elb", channel: .web,
        summary: "AWS Classic Load Balancer (ELB) access logs",
        docs: "docs.aws.amazon.com/elasticloadbalancing/latest/classic/access-log-collection.html",
        detect: [["Z "]])

    /// Amazon S3 server access logs: the requester is an AWS account, not a visitor, and is not read.
    static let s3 = Preset(
        base: .nginx(logFormat: #"$s3_owner $s3_bucket [$time_local] $remote_addr $s3_requester $s3_request_id $s3_operation $s3_key "$request" $status $s3_error $body_bytes_sent $s3_object_size $s3_total_time $s3_turnaround "$http_referer" "$http_user_agent" $s3_rest"#),
        name: "s3", channel: .web,
        summary: "Amazon S3 server access logs",
        docs: "docs.aws.amazon.com/AmazonS3/latest/userguide/LogFormat.html",
        detect: [["REST."], ["WEBSITE."]])

    /// Amazon CloudFront standard logs are W3C extended logs (`#Fields:` names the columns):
    /// the `w3c` reader under another name.
    static let cloudfront = Preset(
        base: .w3c, name: "cloudfront", channel: .web,
        summary: "Amazon CloudFront standard (legacy) logs, W3C extended with #Fields (detected as w3c)",
        docs: "docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html")

    /// HAProxy's `option httplog` lines as syslog writes them, with captured request and
    /// response headers (`{…} {…}`, as in the manual's example; without `capture` directives,
    /// give the format without them as `log_format`). The accept date has no offset: it is the
    /// host's local time, read in the source's `timezone` (UTC by default).
    static let haproxy = Preset(
        base: .nginx(logFormat: #"$syslog_month $syslog_day $syslog_time $syslog_host $syslog_process $remote_addr:$remote_port [$time_local] $haproxy_frontend $haproxy_backend $haproxy_timers $status $body_bytes_sent $haproxy_request_cookie $haproxy_response_cookie $haproxy_termination_state $haproxy_connections $haproxy_queues {$haproxy_request_headers} {$haproxy_response_headers} "$request""#),
        name: "haproxy", channel: .web,
        summary: "HAProxy option httplog (syslog lines)",
        docs: "docs.haproxy.org configuration manual, 8.2.3 HTTP log format",
        detect: [["haproxy["]])

    /// Kubernetes ingress-nginx's default `log-format-upstream`; what follows the upstream name
    /// (alternative upstream, addresses, lengths, times, statuses, request id) is read and ignored.
    static let ingressNginx = Preset(
        base: .nginx(logFormat: #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_length $request_time [$proxy_upstream_name] $ingress_rest"#),
        name: "ingress_nginx", channel: .web,
        summary: "Kubernetes ingress-nginx controller access logs (default log-format-upstream)",
        docs: "kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/log-format",
        detect: [["] ["]])

    /// Apache's `vhost_combined` (Debian's other_vhosts_access.log): `%v:%p` before combined.
    static let vhostCombined = Preset(
        base: .nginx(logFormat: #"$server_name:$server_port $remote_addr $remote_ident $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#),
        name: "vhost_combined", channel: .web,
        summary: "Apache vhost_combined (%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\")",
        docs: "httpd.apache.org/docs/current/mod/mod_log_config.html, Debian apache2.conf",
        detect: [["] \""]])

    /// Caddy's structured access log (`log` directive, JSON encoder).
    static let caddy = Preset(
        base: .jsonAccess, name: "caddy", channel: .web,
        summary: "Caddy access logs (JSON)",
        docs: "caddyserver.com/docs/caddyfile/directives/log",
        fields: ["time": "ts", "ip": "request.client_ip|request.remote_ip", "method": "request.method", "uri": "request.uri",
                 "status": "status", "referrer": "request.headers.Referer.0", "user_agent": "request.headers.User-Agent.0",
                 "cookie": "request.headers.Cookie.0", "user": "user_id", "response_time": "duration"],
        detect: [["logger", "http.log.access"], ["request", "resp_headers", "duration"]])

    /// Traefik's JSON access log.
    static let traefik = Preset(
        base: .jsonAccess, name: "traefik", channel: .web,
        summary: "Traefik access logs (JSON format)",
        docs: "doc.traefik.io/traefik/observability/access-logs",
        fields: ["time": "StartUTC", "ip": "ClientHost", "method": "RequestMethod", "uri": "RequestPath",
                 "status": "DownstreamStatus", "referrer": "request_Referer", "user_agent": "request_User-Agent",
                 "cookie": "request_Cookie", "user": "ClientUsername", "response_time_ns": "Duration"],
        detect: [["DownstreamStatus", "RequestPath"]])
}
