-- duckdb_expert.sql: the customer-journey job as someone who knows DuckDB writes it, on the data set
-- of `journeys generate` (row `duckdb-expert` of `make bench`; Tests/bench/duckdb_expert.py runs it).
--
-- Adapted from /work/shared/bench/duckdb_journeys.sql (the "expert DuckDB job" of issue 10: one pass
-- per source, joins for identity, window functions for sessions; 7.6 s / 681 MB on the issue's
-- 300,000-person set). Kept: its shape and its reading of nginx as a space-delimited, "-quoted CSV
-- of 13 fields. Changed so that it reads the generated data and counts what `journeys run` counts
-- (README "Journeys", the generated pipeline.yaml), each change marked [adapted] below:
--   * files, cookies, fields: web/access-*.log.gz ("$cookie_visitor_id" "$cookie_customer_id"),
--     email/sendgrid-*.json.gz (customer_id on the record or ?cid= in a click URL),
--     chat/chat-*.jsonl.gz (visitor_id, visitor_email, author_role, type, rating, survey_score);
--   * times: nginx $time_local with its offset (+0100 / +0200), so web, email and chat order alike;
--   * touchpoints: static assets (by extension) and methods other than GET / POST are left out,
--     as journeys does (crawlers have no visitor cookie here, so the original's cookie filter
--     already drops them); every SendGrid event and chat event is a touchpoint;
--   * identity: the original's joins, plus one hop it lacks — an email address with no customer
--     id that a chat ties to a visitor cookie belongs to that visitor's person (journeys links
--     the keys seen on one touchpoint; on this data set these joins give the same persons as its
--     connected components, which the funnel check and the persons total show);
--   * stages: the rules of the generated pipeline (those of pipelines/shop.yaml): only a
--     touchpoint with status < 400 reaches any stage, awareness included; path rules are
--     prefixes ending at a segment boundary (/checkout also covers /checkout/complete), on web
--     paths and email click URLs; every /checkout/complete hit with status < 400 is an order (logs
--     carry no order id), the second order reaches retention; advocacy is /refer or a chat
--     survey score >= 9;
--   * funnel: persons who reached each stage itself (journeys' funnel.csv), not the original's
--     cumulative "furthest stage >= this one": people skip stages;
--   * sessions: a person's own actions (page views, email opens / clicks / unsubscribes, chat
--     started / visitor messages / ratings / surveys), not only web hits, 30 minutes apart;
--   * first-touch channel: the channel of the person's first own action (the first session's
--     first touchpoint), named as journeys' GA4-style groups, with only the sources this data set
--     has (a sketch, not journeys' whole rule set: see channels.csv in the funnel check);
--   * outputs: funnel.csv, channels.csv and totals.txt for Tests/bench/compare_funnel.py, and
--     journeys.csv (one row per person), into the current directory.
-- @DATA@ stands for the data folder.

-- 1. Web. '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
--    "$http_referer" "$http_user_agent" "$cookie_visitor_id" "$cookie_customer_id" $request_time'.
--    [adapted] The original reads this as a space-delimited, "-quoted CSV of 13 fields; here a
--    line cut inside its request (an unbalanced quote) makes DuckDB's CSV reader run on to the
--    end of the file and lose every line after it, so each line is read whole and split at its
--    double quotes (nginx escapes " inside fields as \x22): 11 parts, or the line is dropped.
--    Lines that are not UTF-8 are skipped (ignore_errors); bad times -> NULL -> dropped. Hits
--    without a visitor cookie (crawlers) cannot belong to a person: dropped.
CREATE TEMP TABLE web AS
SELECT ms, vid, uid, lower(path) AS path, status, referer,
       CASE WHEN has_q THEN nullif(regexp_extract(uri, '[?&]cid=([^&]*)', 1), '') END AS cid_param,
       uri
FROM (
  SELECT epoch_ms(try_strptime(rtrim(split_part(f[1], '[', 2), '] '), '%d/%b/%Y:%H:%M:%S %z')) AS ms,  -- [adapted] offset
         f[8] AS vid, nullif(f[10], '-') AS uid,
         split_part(f[2], ' ', 1) AS method,
         split_part(f[2], ' ', 2) AS uri,
         split_part(split_part(f[2], ' ', 2), '?', 1) AS path,
         contains(f[2], '?') AS has_q,
         TRY_CAST(split_part(trim(f[3]), ' ', 1) AS INTEGER) AS status,
         f[4] AS referer
  FROM (SELECT string_split(line, '"') AS f
        FROM read_csv('@DATA@/web/access-*.log.gz', columns = {'line': 'VARCHAR'},               -- [adapted] names
               delim = E'\x01', quote = '', escape = '', header = false, auto_detect = false,
               ignore_errors = true))
  WHERE len(f) = 11 AND f[8] <> '-'
)
WHERE ms IS NOT NULL AND status IS NOT NULL
  AND method IN ('GET', 'POST')                                                                  -- [adapted]
  AND NOT regexp_matches(path, '\.(css|js|mjs|map|png|jpe?g|gif|svg|ico|webp|avif|bmp|woff2?|ttf|otf|eot|mp4|webm|mp3|wav|txt|xml)$', 'i');

-- 2. Email: SendGrid Event Webhook records, one per line.
CREATE TEMP TABLE email AS
SELECT CAST(round("timestamp" * 1000) AS BIGINT) AS ms,
       lower(trim(email)) AS em, event,
       coalesce(customer_id, nullif(regexp_extract(url, '[?&]cid=([^&]*)', 1), '')) AS customer_id,  -- [adapted]
       lower(regexp_extract(url, '^https?://[^/?#]*([^?#]*)', 1)) AS path
FROM read_json('@DATA@/email/sendgrid-*.json.gz', format = 'newline_delimited', ignore_errors = true,
       columns = {'email': 'VARCHAR', 'timestamp': 'DOUBLE', 'event': 'VARCHAR',
                  'customer_id': 'VARCHAR', 'url': 'VARCHAR'})
WHERE event IS NOT NULL AND "timestamp" IS NOT NULL AND contains(email, '@');

-- 3. Chat: one event per line.                                                                  [adapted] fields
CREATE TEMP TABLE chat AS
SELECT epoch_ms("timestamp") AS ms, conversation_id, nullif(visitor_id, '') AS vid,
       lower(trim(visitor_email)) AS em,
       CASE WHEN type = 'message' THEN 'chat_message_' || author_role ELSE 'chat_' || replace(type, 'chat_', '') END AS action,
       survey_score
FROM read_json('@DATA@/chat/chat-*.jsonl.gz', format = 'newline_delimited', ignore_errors = true,
       columns = {'id': 'VARCHAR', 'timestamp': 'TIMESTAMP', 'conversation_id': 'VARCHAR',
                  'visitor_id': 'VARCHAR', 'visitor_email': 'VARCHAR', 'author_role': 'VARCHAR',
                  'type': 'VARCHAR', 'rating': 'INTEGER', 'survey_score': 'INTEGER'})
WHERE "timestamp" IS NOT NULL;

-- 4. Identity map. A person is a customer id when any link reaches one, else the visitor cookie.
--    email -> customer_id        (SendGrid customer_id, or ?cid= in a click URL)
--    vid   -> customer id        (logged-in hit: $cookie_customer_id)
--    vid   -> cid                (landing from an email link: ?cid=)
--    vid   -> email -> customer  (chat visitor id + visitor email; two hops)
--    email -> vid                (chat, for an address with no customer id)                    [adapted]
CREATE TEMP TABLE email_person AS
SELECT em, min(customer_id) AS cid FROM email WHERE customer_id IS NOT NULL GROUP BY em;

CREATE TEMP TABLE vid_person AS
WITH edges AS (
  SELECT vid, uid AS cid FROM web WHERE uid IS NOT NULL
  UNION ALL
  SELECT vid, cid_param FROM web WHERE cid_param IS NOT NULL
  UNION ALL
  SELECT c.vid, e.cid FROM chat c JOIN email_person e ON c.em = e.em WHERE c.vid IS NOT NULL
), vids AS (
  SELECT vid FROM web UNION SELECT vid FROM chat WHERE vid IS NOT NULL
)
SELECT v.vid, coalesce(min(e.cid), 'anon:' || v.vid) AS person
FROM vids v LEFT JOIN edges e ON e.vid = v.vid
GROUP BY v.vid;

CREATE TEMP TABLE em_person AS
SELECT em, coalesce(min(ep.cid), min(vp.person), 'email:' || em) AS person
FROM (SELECT DISTINCT em FROM email) e
LEFT JOIN email_person ep USING (em)
LEFT JOIN (SELECT DISTINCT em, vid FROM chat WHERE em IS NOT NULL AND vid IS NOT NULL) c USING (em)
LEFT JOIN vid_person vp ON vp.vid = c.vid
GROUP BY em;

-- 5. Unified touchpoints: person, time, source, whether it is the person's own action (opens a
--    session), and the stages it reaches (status < 400 only). [adapted] stage rules.
CREATE TEMP TABLE ev AS
SELECT p.person, w.ms, 'web' AS src, true AS own, w.uri, w.referer,
       w.status < 400 AS ok,
       w.status < 400 AND (w.path IN ('/products', '/pricing', '/compare') OR regexp_matches(w.path, '^/(products|pricing|compare)[/.]')) AS consideration,
       w.status < 400 AND (w.path IN ('/cart', '/checkout') OR regexp_matches(w.path, '^/(cart|checkout)[/.]')) AS decision,
       w.status < 400 AND (w.path = '/checkout/complete' OR regexp_matches(w.path, '^/checkout/complete[/.]')) AS is_order,
       w.status < 400 AND (w.path = '/refer' OR regexp_matches(w.path, '^/refer[/.]')) AS advocacy
FROM web w JOIN vid_person p ON p.vid = w.vid
UNION ALL
SELECT coalesce(e.customer_id, p.person), e.ms, 'email',
       e.event IN ('open', 'click', 'unsubscribe', 'group_unsubscribe', 'group_resubscribe'), NULL, NULL,
       true,
       e.event = 'click' OR e.path IN ('/products', '/pricing', '/compare') OR regexp_matches(e.path, '^/(products|pricing|compare)[/.]'),
       e.path IN ('/cart', '/checkout') OR regexp_matches(e.path, '^/(cart|checkout)[/.]'),
       false,
       e.path = '/refer' OR regexp_matches(e.path, '^/refer[/.]')
FROM email e JOIN em_person p ON p.em = e.em
UNION ALL
SELECT coalesce(p.person, ep.person, 'chat:' || c.conversation_id), c.ms, 'chat',
       c.action IN ('chat_started', 'chat_message_visitor', 'chat_rating', 'chat_survey'), NULL, NULL,
       true, c.action = 'chat_message_visitor', false, false,
       c.action = 'chat_survey' AND c.survey_score >= 9
FROM chat c LEFT JOIN vid_person p ON p.vid = c.vid LEFT JOIN em_person ep ON ep.em = c.em;

-- 6. Sessions: a person's own actions, a new one after 30 minutes without one.
CREATE TEMP TABLE sessions AS
SELECT person, count(*) FILTER (WHERE new_sess) AS sessions
FROM (
  SELECT person,
         lag(ms) OVER (PARTITION BY person ORDER BY ms) IS NULL
           OR ms - lag(ms) OVER (PARTITION BY person ORDER BY ms) > 30 * 60 * 1000 AS new_sess
  FROM ev WHERE own
)
GROUP BY person;

-- 7. One journey row per person: stages reached, orders, first own action.
CREATE TEMP TABLE journeys AS
WITH agg AS (
  SELECT person,
         min(ms) AS first_touch, max(ms) AS last_touch,
         arg_min({'src': src, 'uri': uri, 'referer': referer}, (ms, src)) FILTER (WHERE own) AS first_action,
         count(*) FILTER (WHERE src = 'web') AS web_hits,
         count(*) FILTER (WHERE src = 'email') AS email_events,
         count(*) FILTER (WHERE src = 'chat') AS chat_events,
         count(*) FILTER (WHERE is_order) AS orders,
         bool_or(ok) AS awareness, bool_or(consideration) AS consideration, bool_or(decision) AS decision,
         bool_or(advocacy) AS advocacy
  FROM ev GROUP BY person
), first AS (
  SELECT *, first_action.src AS fsrc,
         CASE WHEN contains(first_action.uri, '?') THEN split_part(first_action.uri, '?', 2) END AS q,
         nullif(regexp_extract(first_action.referer, '^https?://([^/:?#]*)', 1), '') AS ref_host
  FROM agg
)
SELECT person AS person_id,
       NOT (person LIKE 'anon:%' OR person LIKE 'email:%' OR person LIKE 'chat:%') AS identified,
       make_timestamp(first_touch * 1000) AS first_touch,
       CASE
         WHEN fsrc IS NULL THEN '(none)'
         WHEN fsrc = 'email' THEN 'email'
         WHEN fsrc = 'chat' THEN 'chat'
         WHEN regexp_matches(q, '(^|&)(gclid|gbraid|wbraid|dclid|msclkid)=') OR regexp_matches(q, '(^|&)utm_medium=(cpc|ppc|paidsearch)(&|$)') THEN 'paid_search'
         WHEN regexp_matches(q, '(^|&)utm_medium=paid[^&]*') THEN 'paid_social'
         WHEN regexp_matches(q, '(^|&)utm_medium=email(&|$)') THEN 'email'
         WHEN regexp_matches(q, '(^|&)utm_medium=social(&|$)')
              OR regexp_matches(ref_host, '(^|\.)(facebook|instagram|t\.co|twitter|x\.com|linkedin|reddit)(\.|$)') THEN 'organic_social'
         WHEN regexp_matches(ref_host, '(^|\.)(google|bing|duckduckgo|yahoo|baidu|yandex|ecosia)(\.|$)') THEN 'organic_search'
         WHEN ref_host IS NULL OR ref_host = 'shop.example.com' OR ends_with(ref_host, '.shop.example.com') THEN 'direct'  -- own site
         ELSE 'referral'
       END AS first_touch_channel,
       make_timestamp(last_touch * 1000) AS last_touch,
       web_hits, email_events, chat_events,
       coalesce(s.sessions, 0) AS sessions,
       orders,
       awareness, consideration, decision, orders >= 1 AS purchase, orders >= 2 AS retention, advocacy
FROM first LEFT JOIN sessions s USING (person);

-- 8. Outputs.
COPY (SELECT * FROM journeys ORDER BY person_id) TO 'journeys.csv' (HEADER, DELIMITER ',');

COPY (
  SELECT stage, persons FROM (
    SELECT 'awareness' AS stage, count(*) FILTER (WHERE awareness) AS persons, 1 AS rank FROM journeys
    UNION ALL SELECT 'consideration', count(*) FILTER (WHERE consideration), 2 FROM journeys
    UNION ALL SELECT 'decision', count(*) FILTER (WHERE decision), 3 FROM journeys
    UNION ALL SELECT 'purchase', count(*) FILTER (WHERE purchase), 4 FROM journeys
    UNION ALL SELECT 'retention', count(*) FILTER (WHERE retention), 5 FROM journeys
    UNION ALL SELECT 'advocacy', count(*) FILTER (WHERE advocacy), 6 FROM journeys
  ) ORDER BY rank
) TO 'funnel.csv' (HEADER, DELIMITER ',');

COPY (
  SELECT first_touch_channel AS channel, count(*) AS persons
  FROM journeys GROUP BY ALL ORDER BY persons DESC, channel
) TO 'channels.csv' (HEADER, DELIMITER ',');

-- 9. Totals (totals.txt is written by the runner from this row).
SELECT count(*) AS persons, (SELECT count(*) FROM ev) AS touchpoints, sum(sessions) AS sessions
FROM journeys;
