-- The load test's dataset, written by PostgreSQL itself (generate_series), for `build.py`.
-- Parameters come as settings (`SET load.<name> = …`, see build.py): the authorities and
-- their communes, tariffs and runs (few rows, made by the ORM first, in load_tariff), the
-- number of accounts, the years, the seed and the residents' password hash.
--
-- Every draw is rnd(key, salt): hashint8extended of a row's key with the seed, so the
-- same rows come out whatever plan (parallel or not) PostgreSQL chooses; random() after
-- setseed() would depend on the order rows are produced in. Keys are made of ranks (the
-- authority's letter, the account's n, the bin's flux), never of database ids, which
-- depend on what the database held before: the same seed gives the same data anywhere.

CREATE FUNCTION pg_temp.rnd(k bigint, salt int) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (hashint8extended(k * 1000003 + salt, current_setting('load.seed')::bigint)
            & 2147483647)::float8 / 2147483648.0
$$;

CREATE FUNCTION pg_temp.pick(arr text[], k bigint, salt int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT arr[1 + floor(pg_temp.rnd(k, salt) * cardinality(arr))::int]
$$;

-- The two authorities' accounts: n is the account's rank in its authority (1…), `pool`
-- the first ones, kept for the load test's residents (a login, billed since the first
-- year, paying « à réception de facture », no request open, last year's invoice unpaid).
CREATE TEMPORARY TABLE load_account AS
SELECT a.authority_id, a.letter, a.slug, a.communes, n,
       ((CASE a.letter WHEN 'a' THEN 1 ELSE 2 END) * 10000000 + n)::bigint AS k,
       n <= current_setting('load.pool')::int AS pool
FROM (
    SELECT current_setting('load.authority_a')::bigint AS authority_id, 'a' AS letter,
           current_setting('load.slug_a') AS slug,
           current_setting('load.communes_a')::bigint[] AS communes,
           current_setting('load.accounts_a')::int AS accounts
    UNION ALL
    SELECT current_setting('load.authority_b')::bigint, 'b', current_setting('load.slug_b'),
           current_setting('load.communes_b')::bigint[], current_setting('load.accounts_b')::int
) a, generate_series(1, a.accounts) n;

INSERT INTO subscribers_account (
    created_at, updated_at, authority_id, code, portal_key, category, civility,
    last_name, first_name, company_name, household_size, email, phone, mobile,
    billing_country, billing_number, billing_number_suffix, billing_street, billing_line2,
    billing_postal_code, billing_city, billing_building, billing_staircase,
    billing_apartment, billing_floor, billing_po_box, billing_city_complement,
    work_phone, objects_to_other_uses, refuses_automated_erasure, paperless_invoices)
SELECT now(), now(), authority_id, lpad(n::text, 6, '0'),
       upper(substr(md5(k::text || current_setting('load.seed')), 1, 8)),
       CASE WHEN NOT pool AND pg_temp.rnd(k, 1) < 0.04 THEN 'professionnel' ELSE 'particulier' END,
       CASE WHEN pg_temp.rnd(k, 2) < 0.5 THEN 'M' ELSE 'MME' END,
       pg_temp.pick('{MARTIN,BERNARD,THOMAS,PETIT,ROBERT,RICHARD,DURAND,DUBOIS,MOREAU,LAURENT,SIMON,MICHEL,LEFEBVRE,LEROY,ROUX,DAVID,BERTRAND,MOREL,FOURNIER,GIRARD,DEVOS,VANDAMME,DECLERCK,LEMAIRE}', k, 3),
       pg_temp.pick('{Marie,Jean,Pierre,Nathalie,Isabelle,Sophie,Philippe,Michel,Camille,Julien,Léa,Hugo,Chloé,Louis,Emma,Nicolas,Sandrine,Thomas,Manon,Lucas}', k, 4),
       CASE WHEN NOT pool AND pg_temp.rnd(k, 1) < 0.04
            THEN pg_temp.pick('{Boulangerie,Garage,Pharmacie,Restaurant,Cabinet,Ferme}', k, 5) || ' ' || n
            ELSE '' END,
       -- households: mostly of 1 to 4 persons
       (ARRAY[1,1,2,2,2,3,3,4,4,5,6])[1 + floor(pg_temp.rnd(k, 6) * 11)::int],
       '', '', '', 'FR', (1 + floor(pg_temp.rnd(k, 7) * 180)::int)::text, '',
       pg_temp.pick('{rue de la Gare,rue Nationale,place de l''Église,rue du Moulin,chemin des Prés,rue Pasteur,rue Victor Hugo,route de Lille,allée des Tilleuls,rue des Écoles}', k, 8),
       '', '', '', '', '', '', '', '', '', '', false, false, pg_temp.rnd(k, 9) < 0.3
FROM load_account;

ALTER TABLE load_account ADD COLUMN account_id bigint, ADD COLUMN commune_id bigint,
    ADD COLUMN subscribed_on date, ADD COLUMN payment_mode text, ADD COLUMN login boolean;
UPDATE load_account l SET account_id = a.id,
    commune_id = l.communes[1 + floor(pg_temp.rnd(l.k, 10) * cardinality(l.communes))::int],
    -- a fifth of the accounts were there before the ten years, the others came since
    subscribed_on = CASE
        WHEN l.pool OR pg_temp.rnd(l.k, 11) < 0.2
            THEN make_date(current_setting('load.first_year')::int - 1, 1, 1)
                 - floor(pg_temp.rnd(l.k, 12) * 1800)::int
        ELSE make_date(current_setting('load.first_year')::int, 1, 1)
             + floor(pg_temp.rnd(l.k, 12) * (current_setting('load.today')::date
                     - make_date(current_setting('load.first_year')::int, 1, 1) - 30))::int
    END,
    payment_mode = CASE
        WHEN l.pool THEN 'facture'
        WHEN pg_temp.rnd(l.k, 13) < 0.3 THEN 'prelevement'
        WHEN pg_temp.rnd(l.k, 13) < 0.92 THEN 'facture'
        ELSE '' END,
    -- seven accounts in ten have a login
    login = l.pool OR pg_temp.rnd(l.k, 14) < 0.7
FROM subscribers_account a
WHERE a.authority_id = l.authority_id AND a.code = lpad(l.n::text, 6, '0');
CREATE UNIQUE INDEX ON load_account (account_id);
ANALYZE load_account;

UPDATE subscribers_account a SET email = 'usager.' || l.letter || lpad(l.n::text, 6, '0') || '@load.example.org',
    billing_postal_code = cp.postal_code, billing_city = c.name
FROM load_account l
JOIN authorities_commune c ON c.id = l.commune_id
JOIN LATERAL (SELECT min(postal_code) AS postal_code FROM authorities_communepostalcode p
              WHERE p.commune_id = c.id) cp ON true
WHERE a.id = l.account_id;

INSERT INTO subscribers_subscription
    (created_at, updated_at, authority_id, account_id, reference, kind, subscribed_on,
     payment_mode, iban, commune_id, number, number_suffix, street, complement, postal_code)
SELECT now(), now(), l.authority_id, l.account_id, a.code, 'bac', l.subscribed_on,
       l.payment_mode,
       CASE WHEN l.payment_mode = 'prelevement' THEN 'FR7630006000011234567890189' ELSE '' END,
       l.commune_id, a.billing_number, '', a.billing_street, '', a.billing_postal_code
FROM load_account l JOIN subscribers_account a ON a.id = l.account_id;

-- A household-waste bin for every subscription (120 L for three in five, else 240 L),
-- recyclables (240 L) for one in ten. Authority A's bins carry a chip and a tank number,
-- authority B's a chip only.
INSERT INTO collection_bin
    (created_at, updated_at, authority_id, subscription_id, account_id, flux,
     volume_litres, chip_number, tank_number, delivered_on)
SELECT now(), now(), s.authority_id, s.id, s.account_id, 'ordures_menageres',
       CASE WHEN pg_temp.rnd(l.k, 20) < 0.6 THEN 120 ELSE 240 END,
       upper(l.letter) || 'E' || lpad(l.n::text, 9, '0'),
       CASE WHEN l.letter = 'a' THEN 'C' || lpad(l.n::text, 8, '0') ELSE '' END,
       s.subscribed_on
FROM subscribers_subscription s JOIN load_account l ON l.account_id = s.account_id
UNION ALL
SELECT now(), now(), s.authority_id, s.id, s.account_id, 'recyclables', 240,
       upper(l.letter) || 'R' || lpad(l.n::text, 9, '0'), '', s.subscribed_on
FROM subscribers_subscription s JOIN load_account l ON l.account_id = s.account_id
WHERE pg_temp.rnd(l.k, 21) < 0.1;

-- How many lifts each bin has each year: a bin's habit (most households put it out 10 to
-- 26 times a year, skewed to the low end; some every week, 52; a few rarely), a little
-- jitter from year to year, prorated to the days it was there (first year, this year).
CREATE TEMPORARY TABLE load_bin_year AS
SELECT b.id AS bin_id, l.k * 2 + (b.flux = 'recyclables')::int AS bkey, b.authority_id,
       b.subscription_id, b.flux, b.volume_litres, y AS year,
       greatest(make_date(y, 1, 1), b.delivered_on) AS first_day,
       least(make_date(y, 12, 31), current_setting('load.today')::date) AS last_day,
       h.habit
FROM collection_bin b JOIN load_account l ON l.account_id = b.account_id
CROSS JOIN LATERAL (SELECT pg_temp.rnd(l.k * 2 + (b.flux = 'recyclables')::int, 30) AS p,
                           pg_temp.rnd(l.k * 2 + (b.flux = 'recyclables')::int, 31) AS u) r
CROSS JOIN LATERAL (SELECT CASE
        WHEN b.flux = 'recyclables' THEN 4 + floor(14 * r.u)
        WHEN r.p < 0.04 THEN 52
        WHEN r.p < 0.09 THEN 27 + floor(24 * r.u)
        WHEN r.p < 0.22 THEN 3 + floor(7 * r.u)
        ELSE 10 + floor(17 * power(r.u, 3)) END AS habit) h
CROSS JOIN generate_series(
    greatest(current_setting('load.first_year')::int, extract(year FROM b.delivered_on)::int),
    extract(year FROM current_setting('load.today')::date)::int) y;
ALTER TABLE load_bin_year ADD COLUMN days int, ADD COLUMN lifts int;
UPDATE load_bin_year SET days = last_day - first_day + 1;
UPDATE load_bin_year SET lifts = least(days, greatest(0, round(
    (CASE WHEN habit = 52 THEN 52 ELSE habit + floor(5 * pg_temp.rnd(bkey * 100 + year, 32)) - 2 END)
    * days / 365.0)))::int;
DELETE FROM load_bin_year WHERE lifts = 0;
ANALYZE load_bin_year;

-- The lifts, spread evenly over the bin's days, early in the morning (Paris time).
INSERT INTO collection_lift (authority_id, bin_id, lifted_at, net_weight_grams, vehicle, import_batch_id)
SELECT y.authority_id, y.bin_id,
       ((y.first_day + (i * y.days) / y.lifts) + time '05:30'
        + make_interval(secs => floor(pg_temp.rnd(y.bkey * 64 + i, y.year) * 25200)))
           AT TIME ZONE 'Europe/Paris',
       (CASE WHEN y.flux = 'recyclables' THEN 2000 + floor(pg_temp.rnd(y.bkey * 64 + i, y.year + 7) * 6000)
             ELSE y.volume_litres * 40 + floor(pg_temp.rnd(y.bkey * 64 + i, y.year + 7) * y.volume_litres * 110)
        END)::int,
       'BOM-' || lpad((1 + y.bkey % 12)::text, 2, '0'), NULL
FROM load_bin_year y CROSS JOIN generate_series(0, y.lifts - 1) i
ORDER BY y.bin_id, 3;

-- Invoices: each year's household-waste subscriptions, billed the next 1st of February
-- by the year's real run (load_tariff; last year's a week before load.today: the
-- territory's invoice day, its invoices still payable online), numbered 1, 2, 3… per authority and year in the
-- order of the references, as the numbering service leaves them: no gap.
CREATE TEMPORARY TABLE load_invoice AS
SELECT y.authority_id, y.subscription_id, s.account_id, y.year, t.tariff_id, t.run_id,
       t.vat_rate_bp, t.extra_lift_cents, t.label,
       CASE WHEN y.volume_litres = 120 THEN t.fixed_120 ELSE t.fixed_240 END AS fixed_year,
       t.included_lifts, y.first_day, y.last_day, y.lifts,
       (y.first_day - make_date(y.year, 1, 1)) AS a,
       (y.last_day - make_date(y.year, 1, 1) + 1) AS b,
       (make_date(y.year + 1, 1, 1) - make_date(y.year, 1, 1)) AS ydays,
       row_number() OVER (PARTITION BY y.authority_id, y.year ORDER BY s.reference) AS seq,
       l.k, l.pool, l.payment_mode, y.volume_litres, t.issued_on AS t_issued_on
FROM load_bin_year y
JOIN subscribers_subscription s ON s.id = y.subscription_id
JOIN load_account l ON l.account_id = s.account_id
JOIN load_tariff t ON t.authority_id = y.authority_id AND t.year = y.year
WHERE y.flux = 'ordures_menageres';
ALTER TABLE load_invoice ADD COLUMN fixed bigint, ADD COLUMN included int, ADD COLUMN extra int,
    ADD COLUMN ht bigint, ADD COLUMN vat bigint, ADD COLUMN issued_on date, ADD COLUMN settle text,
    ADD COLUMN paid_on date;
UPDATE load_invoice SET
    fixed = fixed_year * b / ydays - fixed_year * a / ydays,
    included = included_lifts * b / ydays - included_lifts * a / ydays,
    issued_on = t_issued_on;
UPDATE load_invoice SET extra = greatest(0, lifts - included);
UPDATE load_invoice SET ht = fixed + extra * extra_lift_cents;
UPDATE load_invoice SET vat = (ht * vat_rate_bp + 5000) / 10000,
    paid_on = issued_on + 5 + floor(pg_temp.rnd(k * 100 + year, 40) * 40)::int;
-- How each was settled: debited for accounts paying so; otherwise online by card for
-- half, by cheque or transfer recorded by an agent for the rest; unpaid when not paid
-- yet (5 to 45 days after the invoice), for some of last year's, and for the load test's
-- residents' last one.
UPDATE load_invoice SET settle = CASE
    WHEN pool AND year = extract(year FROM current_setting('load.today')::date)::int - 1 THEN 'open'
    WHEN paid_on > current_setting('load.today')::date THEN 'open'
    WHEN payment_mode = 'prelevement' THEN 'debit'
    WHEN year = extract(year FROM current_setting('load.today')::date)::int - 1
         AND pg_temp.rnd(k * 100 + year, 41) < 0.15 THEN 'open'
    WHEN pg_temp.rnd(k * 100 + year, 42) < 0.55 THEN 'card'
    WHEN pg_temp.rnd(k * 100 + year, 42) < 0.8 THEN 'cheque'
    ELSE 'transfer' END;

INSERT INTO billing_invoice
    (created_at, updated_at, authority_id, account_id, subscription_id, run_id, tariff_id,
     status, year, number, issued_on, due_on, period_start, period_end, total_ht_cents,
     vat_rate_bp, vat_cents, total_cents, payer_name, payer_address, collection_address,
     direct_debit, published_at, paid_at, paid_by, pdf)
SELECT now(), now(), i.authority_id, i.account_id, i.subscription_id, i.run_id, i.tariff_id,
       CASE WHEN i.settle = 'open' THEN 'a_regler' ELSE 'reglee' END,
       i.year, lpad((i.year % 100)::text, 2, '0') || lpad(au.code, 5, '0') || lpad(i.seq::text, 6, '0'),
       i.issued_on, i.issued_on + 30, i.first_day, i.last_day, i.ht, i.vat_rate_bp, i.vat,
       i.ht + i.vat,
       upper(CASE WHEN ac.company_name <> '' THEN ac.company_name ELSE ac.last_name || ' ' || ac.first_name END),
       upper(ac.billing_number || ' ' || ac.billing_street || ' ' || ac.billing_postal_code || ' ' || ac.billing_city),
       upper(s.number || ' ' || s.street || ' ' || s.postal_code || ' ' || ac.billing_city),
       i.payment_mode = 'prelevement',
       (i.issued_on + time '06:00') AT TIME ZONE 'Europe/Paris',
       CASE WHEN i.settle <> 'open' THEN (i.paid_on + time '10:30') AT TIME ZONE 'Europe/Paris' END,
       CASE i.settle WHEN 'debit' THEN 'prélèvement' WHEN 'card' THEN 'carte'
                     WHEN 'cheque' THEN 'chèque' WHEN 'transfer' THEN 'virement' ELSE '' END,
       ''
FROM load_invoice i
JOIN authorities_authority au ON au.id = i.authority_id
JOIN subscribers_account ac ON ac.id = i.account_id
JOIN subscribers_subscription s ON s.id = i.subscription_id
ORDER BY i.authority_id, i.year, i.seq;

ALTER TABLE load_invoice ADD COLUMN invoice_id bigint;
UPDATE load_invoice l SET invoice_id = v.id FROM billing_invoice v
WHERE v.run_id = l.run_id AND v.subscription_id = l.subscription_id;

INSERT INTO billing_invoiceline
    (authority_id, invoice_id, position, kind, label, quantity, unit_cents, amount_cents)
SELECT authority_id, invoice_id, 1, 'abonnement',
       'Abonnement ' || label || ' ' || volume_litres || ' L du ' || to_char(first_day, 'DD/MM/YYYY')
       || ' au ' || to_char(last_day, 'DD/MM/YYYY'), 1, fixed, fixed
FROM load_invoice
UNION ALL
SELECT authority_id, invoice_id, 2, 'incluses',
       'Levées incluses dans le forfait : ' || least(lifts, included) || ' sur ' || included,
       least(lifts, included), 0, 0
FROM load_invoice
UNION ALL
SELECT authority_id, invoice_id, 3, 'supplementaires',
       extra || CASE WHEN extra > 1 THEN ' levées supplémentaires × ' ELSE ' levée supplémentaire × ' END
       || (extra_lift_cents / 100) || ',' || lpad((extra_lift_cents % 100)::text, 2, '0') || E'\u00a0€',
       extra, extra_lift_cents, extra * extra_lift_cents
FROM load_invoice WHERE extra > 0;

INSERT INTO billing_invoicesequence (authority_id, year, first_value, next_value)
SELECT authority_id, year, 1, max(seq) + 1 FROM load_invoice GROUP BY authority_id, year;

-- Payments: the card ones online (PayFiP), one in twenty after an abandoned attempt; the
-- cheques and transfers recorded by an agent. Debits are settled by the SEPA files.
INSERT INTO payments_payment
    (created_at, updated_at, authority_id, invoice_id, account_id, channel, gateway, status,
     method, amount_cents, email, order_id, transaction_id, paid_at, last_checked_at, checks,
     detail, paid_amount_cents, reference, line_key, excess_cents)
SELECT v.paid_at, v.paid_at, i.authority_id, i.invoice_id, i.account_id, 'en_ligne', 'payfip',
       'paye', 'carte', v.total_cents, ac.email, 'LOAD' || i.invoice_id, 'T' || i.invoice_id,
       v.paid_at, v.paid_at, 1, '{}'::jsonb, v.total_cents, '', '', 0
FROM load_invoice i JOIN billing_invoice v ON v.id = i.invoice_id
JOIN subscribers_account ac ON ac.id = i.account_id
WHERE i.settle = 'card'
UNION ALL
SELECT v.paid_at - interval '2 days', v.paid_at - interval '2 days', i.authority_id,
       i.invoice_id, i.account_id, 'en_ligne', 'payfip', 'abandonne', '', v.total_cents,
       ac.email, 'LOADX' || i.invoice_id, '', NULL, v.paid_at - interval '2 days', 1,
       '{}'::jsonb, NULL, '', '', 0
FROM load_invoice i JOIN billing_invoice v ON v.id = i.invoice_id
JOIN subscribers_account ac ON ac.id = i.account_id
WHERE i.settle = 'card' AND pg_temp.rnd(i.k * 100 + i.year, 43) < 0.05
UNION ALL
SELECT v.paid_at, v.paid_at, i.authority_id, i.invoice_id, i.account_id, 'agent', '', 'paye',
       CASE i.settle WHEN 'cheque' THEN 'cheque' ELSE 'virement' END, v.total_cents, '', '', '',
       v.paid_at, NULL, 0, '{}'::jsonb, NULL,
       CASE i.settle WHEN 'cheque' THEN 'CHQ' ELSE 'VIR' END || lpad(i.invoice_id::text, 9, '0'),
       '', 0
FROM load_invoice i JOIN billing_invoice v ON v.id = i.invoice_id
WHERE i.settle IN ('cheque', 'transfer');

-- Logins: seven accounts in ten (all of the pool), one password hash for all.
INSERT INTO accounts_user
    (password, last_login, is_superuser, email, first_name, last_name, is_active, is_staff,
     date_joined, activated_at)
SELECT current_setting('load.password'), NULL, false, a.email, a.first_name, a.last_name,
       true, false, greatest(l.subscribed_on, make_date(current_setting('load.first_year')::int, 1, 1))::timestamptz,
       greatest(l.subscribed_on, make_date(current_setting('load.first_year')::int, 1, 1))::timestamptz
FROM load_account l JOIN subscribers_account a ON a.id = l.account_id
WHERE l.login ORDER BY l.authority_id, l.n;

ALTER TABLE load_account ADD COLUMN user_id bigint;
UPDATE load_account l SET user_id = u.id FROM subscribers_account a, accounts_user u
WHERE a.id = l.account_id AND l.login AND u.email = a.email;

INSERT INTO accounts_accountaccess (created_at, updated_at, authority_id, account_id, user_id)
SELECT now(), now(), authority_id, account_id, user_id FROM load_account WHERE login;

-- Requests: about one account in four asked something over the years (« Nous contacter »),
-- most answered (« TRAITÉ ») or refused by an agent; some still « EN COURS » or « EN
-- ATTENTE DE COMPLÉMENT » (never for the pool: the load test sends one of its own).
INSERT INTO requests_servicerequest
    (created_at, updated_at, authority_id, account_id, commune_id, requested_by_id, kind,
     subject, email, status, requested, snapshot, outcome, decided_by_id, decided_at,
     refusal_reason)
SELECT r.at, r.at, l.authority_id, l.account_id, l.commune_id, l.user_id, 'contact', '',
       a.email, r.status,
       jsonb_build_object('subject', r.topic, 'message',
           'Bonjour, ' || lower(r.topic) || ' : pouvez-vous me répondre ? Merci.'),
       '{}'::jsonb, '{}'::jsonb,
       CASE WHEN r.status IN ('accepted', 'refused') THEN
           (SELECT g.user_id FROM load_agent g WHERE g.authority_id = l.authority_id
            ORDER BY g.user_id OFFSET floor(pg_temp.rnd(l.k, 52) * 10)::int LIMIT 1) END,
       CASE WHEN r.status IN ('accepted', 'refused') THEN r.at + interval '3 days' END,
       CASE WHEN r.status = 'refused' THEN 'Cette demande relève de votre mairie.' ELSE '' END
FROM load_account l JOIN subscribers_account a ON a.id = l.account_id
CROSS JOIN LATERAL (
    SELECT greatest(l.subscribed_on, make_date(current_setting('load.first_year')::int, 1, 1))
           + floor(pg_temp.rnd(l.k, 50) * (current_setting('load.today')::date
                   - greatest(l.subscribed_on, make_date(current_setting('load.first_year')::int, 1, 1))))::int
           + time '14:00' AS at,
           pg_temp.pick('{Bac endommagé,Question sur ma facture,Jour de collecte,Levée non effectuée,Changement de bac,Déchèterie}', l.k, 51) AS topic,
           CASE WHEN NOT l.pool AND pg_temp.rnd(l.k, 53) < 0.12 THEN 'pending'
                WHEN NOT l.pool AND pg_temp.rnd(l.k, 53) < 0.16 THEN 'waiting'
                WHEN pg_temp.rnd(l.k, 53) < 0.9 THEN 'accepted'
                ELSE 'refused' END AS status
) r
WHERE pg_temp.rnd(l.k, 54) < 0.25;

ANALYZE;
