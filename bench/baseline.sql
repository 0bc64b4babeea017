-- bench/baseline.sql: the benchmark's baseline. A plain PL/pgSQL
-- implementation of credit_ledger's semantics on the measured paths, written
-- the way a competent engineer would hand-write it instead of installing the
-- extension, in its own schema `baseline`. bench/run.sh loads it next to the
-- extension and bench/baseline_test.sql proves it writes exactly what
-- credit_ledger writes (entries, grants, wallets, holds, operations, results
-- and SQLSTATEs).
--
-- What it implements (the measured paths and what they depend on):
--   * the same tables, columns, keys and partial indexes as credit_ledger
--     (customer_id on every table and in every unique key; the `open` flag so
--     that updates of `remaining` stay HOT; fillfactor on the updated tables),
--     so the comparison measures the implementation, not a schema choice;
--   * baseline.grant(...): a credit block, wallet created on first grant,
--     overdraft debt repaid first; a scheduled block (effective_at after
--     now) writes no entry until it takes effect;
--   * baseline.consume(...): the wallet row lock, the drawdown order
--     (priority, expires_at asc nulls last, promotional first, effective_at,
--     grant_id) over spendable grants (effective_at <= now < expires_at), one
--     usage entry per grant touched with value = amount x cost_basis,
--     balance_after, a gapless per-wallet seq, a SHA-256 hash chain per
--     wallet (built-in sha256(bytea)), idempotency keys stored as a digest
--     with replay (LG002 on different parameters), hard limit LG001 with
--     nothing written, soft limits (debt) as in credit_ledger, numeric
--     amounts with scale checks (22023, 22003, 22004), allow_partial;
--   * baseline.consume_batch(jsonb) and (arrays): many events in one call,
--     one result row per event, wallets locked in a fixed order first (no
--     deadlock between concurrent batches). A failing event fails the batch
--     (credit_ledger reports it in its row instead: not on the measured path);
--   * 1.2, the ledger keeps up with time (DESIGN.md): every write first
--     brings its wallet up to now under the wallet lock (baseline.catch_up),
--     in time order - a timed-out hold gives its credit back, a lapsed block
--     writes its expiration entry dated expires_at, a scheduled block writes
--     its grant entry dated effective_at and repays debt - under one
--     catch_up operation, exactly as credit_ledger does. Whether anything is
--     due is one comparison on the hot path: wallets.next_due_at, the
--     earliest instant anything is due (lowered by whatever adds something
--     due). baseline.expire() is the sweep for wallets nobody touches;
--   * 1.2 holds: baseline.hold reserves in drawdown order (the part no block
--     covers against the overdraft allowance), baseline.capture turns a hold
--     into usage on the blocks it reserved even if they lapsed since (up to
--     the held amount it never fails), draws an excess like a consume, gives
--     the rest back; baseline.release gives it all back; credit given back to
--     a lapsed block leaves again at once (an expiration entry);
--   * 1.2 priced usage: baseline.price_set (effective-dated, a customer's own
--     price first, rounding up, down or half_even), baseline.report_usage and
--     baseline.report_usage_batch (LG007 without a price; credits that round
--     to zero are a result; quantity, unit_price and price_id on the usage
--     entries).
--
-- Not implemented (not on the measured path): void, adjust, reverse,
-- pending and recurring grants, rollover, automatic top-up, verify, events
-- and alerts, drawdown_order. Functions are SECURITY DEFINER with a pinned
-- search_path, as credit_ledger's are (that has a per-call cost and both pay
-- it); the internal helpers they call are not. The hash is SHA-256 over the
-- previous hash and the entry's row text (record output quotes fields, so
-- the encoding is unambiguous); it is not byte-compatible with
-- credit_ledger's canonical encoding, and need not be; neither are the
-- request fingerprints. The clock is the transaction timestamp unless
-- `baseline.clock` is set (the test moves it in step with
-- credit_ledger.clock).
--
-- An invariant the writers keep (and credit_ledger's too): a wallet never
-- owes debt while it has spendable credit - every write that adds spendable
-- credit (a grant, a block taking effect, credit a hold gives back) repays
-- the debt first. So a hold reserves without repaying anything first.

\set ON_ERROR_STOP 1

CREATE SCHEMA baseline;

CREATE TABLE baseline.credit_types (
    credit_type text PRIMARY KEY,
    scale       integer NOT NULL CHECK (scale BETWEEN 0 AND 9),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- next_due_at: the earliest instant anything is due (NULL: never); held and
-- held_overdraft: what active holds reserve (all of it, and the part
-- reserved against the overdraft allowance).
CREATE TABLE baseline.wallets (
    wallet_id       bigint GENERATED BY DEFAULT AS IDENTITY,
    customer_id     text NOT NULL,
    credit_type     text NOT NULL,
    balance         numeric NOT NULL DEFAULT 0,
    overdraft_limit numeric DEFAULT 0 CHECK (overdraft_limit >= 0),
    debt            numeric NOT NULL DEFAULT 0 CHECK (debt >= 0),
    last_seq        bigint NOT NULL DEFAULT 0,
    last_hash       bytea NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    next_due_at     timestamptz,
    held            numeric NOT NULL DEFAULT 0 CHECK (held >= 0),
    held_overdraft  numeric NOT NULL DEFAULT 0 CHECK (held_overdraft >= 0),
    PRIMARY KEY (wallet_id, customer_id),
    UNIQUE (customer_id, credit_type)
) WITH (fillfactor = 70);
CREATE INDEX wallets_due_idx ON baseline.wallets (next_due_at) WHERE next_due_at IS NOT NULL;

-- entered: the block's grant entry is written (a scheduled block's when it
-- takes effect); held: what active holds reserve from it (its entries sum
-- to remaining + held); expired_amount: what its expiration entries removed.
CREATE TABLE baseline.grants (
    grant_id       bigint GENERATED BY DEFAULT AS IDENTITY,
    wallet_id      bigint NOT NULL,
    customer_id    text NOT NULL,
    credit_type    text NOT NULL,
    amount         numeric NOT NULL CHECK (amount > 0),
    remaining      numeric NOT NULL,
    promotional    boolean NOT NULL,
    priority       integer NOT NULL CHECK (priority >= 0),
    cost_basis     numeric CHECK (cost_basis >= 0),
    effective_at   timestamptz NOT NULL,
    expires_at     timestamptz,
    voided_at      timestamptz,
    expired_at     timestamptz,
    reason         text,
    source_id      text,
    metadata       jsonb,
    operation_id   bigint NOT NULL,
    created_at     timestamptz NOT NULL,
    open           boolean NOT NULL,
    entered        boolean NOT NULL DEFAULT true,
    held           numeric NOT NULL DEFAULT 0 CHECK (held >= 0),
    expired_amount numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (grant_id, customer_id),
    FOREIGN KEY (wallet_id, customer_id) REFERENCES baseline.wallets (wallet_id, customer_id),
    CHECK (remaining >= 0 AND remaining <= amount),
    CHECK (expires_at > effective_at),
    CHECK (open = CASE WHEN entered
                       THEN remaining + held > 0 AND voided_at IS NULL AND expired_at IS NULL
                       ELSE voided_at IS NULL END)
) WITH (fillfactor = 80);
CREATE INDEX grants_open_idx ON baseline.grants (wallet_id) WHERE open;
CREATE INDEX grants_expiry_idx ON baseline.grants (expires_at, grant_id)
    WHERE open AND expires_at IS NOT NULL;

CREATE TABLE baseline.operations (
    operation_id    bigint GENERATED BY DEFAULT AS IDENTITY,
    customer_id     text NOT NULL,
    wallet_id       bigint NOT NULL,
    credit_type     text NOT NULL,
    operation_type  text NOT NULL
        CHECK (operation_type IN ('grant', 'consume', 'hold', 'capture', 'release', 'catch_up')),
    idempotency_key text,
    key_hash        bytea,
    request_hash    bytea,
    amount          numeric,
    balance         numeric,
    grant_id        bigint,
    first_seq       bigint NOT NULL,
    last_seq        bigint NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (operation_id, customer_id)
);
CREATE UNIQUE INDEX operations_key_idx ON baseline.operations (customer_id, key_hash)
    WHERE key_hash IS NOT NULL;

-- Holds: while status = 'held' and now < expires_at a hold reserves
-- reserved_amounts[i] from block reserved_grant_ids[i] (NULL: against the
-- overdraft allowance), in the drawdown order of its creation.
CREATE TABLE baseline.holds (
    hold_id            bigint GENERATED BY DEFAULT AS IDENTITY,
    wallet_id          bigint NOT NULL,
    customer_id        text NOT NULL,
    credit_type        text NOT NULL,
    amount             numeric NOT NULL CHECK (amount > 0),
    captured           numeric NOT NULL DEFAULT 0 CHECK (captured >= 0),
    status             text NOT NULL CHECK (status IN ('held', 'captured', 'released', 'expired')),
    expires_at         timestamptz NOT NULL,
    feature            text,
    source_id          text,
    metadata           jsonb,
    created_at         timestamptz NOT NULL,
    closed_at          timestamptz,
    reserved_grant_ids bigint[] NOT NULL,
    reserved_amounts   numeric[] NOT NULL,
    operation_id       bigint NOT NULL,
    PRIMARY KEY (hold_id, customer_id),
    FOREIGN KEY (wallet_id, customer_id) REFERENCES baseline.wallets (wallet_id, customer_id),
    CHECK ((status = 'held') = (closed_at IS NULL))
);
CREATE INDEX holds_active_idx ON baseline.holds (wallet_id, customer_id) WHERE status = 'held';
CREATE INDEX holds_operation_idx ON baseline.holds (customer_id, operation_id);

-- Prices: never updated; a new price takes effect at its effective_at.
CREATE TABLE baseline.prices (
    price_id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    feature          text NOT NULL,
    credit_type      text NOT NULL,
    customer_id      text,
    credits_per_unit numeric NOT NULL CHECK (credits_per_unit >= 0),
    rounding         text NOT NULL CHECK (rounding IN ('up', 'down', 'half_even')),
    effective_at     timestamptz NOT NULL,
    created_at       timestamptz NOT NULL
);
CREATE INDEX prices_lookup_idx ON baseline.prices (feature, customer_id, effective_at DESC, price_id DESC);

CREATE TABLE baseline.entries (
    entry_id      bigint GENERATED BY DEFAULT AS IDENTITY,
    wallet_id     bigint NOT NULL,
    customer_id   text NOT NULL,
    credit_type   text NOT NULL,
    seq           bigint NOT NULL,
    entry_type    text NOT NULL CHECK (entry_type IN ('grant', 'usage', 'repayment', 'expiration')),
    amount        numeric NOT NULL,
    value         numeric,
    balance_after numeric NOT NULL,
    grant_id      bigint,
    operation_id  bigint NOT NULL,
    promotional   boolean,
    feature       text,
    source_id     text,
    reason        text,
    actor         text,
    metadata      jsonb,
    occurred_at   timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    hash          bytea NOT NULL,
    -- priced usage, on its usage entries (outside the hash chain)
    quantity      numeric,
    unit_price    numeric,
    price_id      bigint,
    PRIMARY KEY (entry_id, customer_id),
    UNIQUE (wallet_id, seq, customer_id)
);

-- Append-only, as credit_ledger's ledger (no cost on INSERT).
CREATE FUNCTION baseline.append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are append-only' USING ERRCODE = 'LG005';
END $$;
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON baseline.entries
    FOR EACH ROW EXECUTE FUNCTION baseline.append_only();
CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON baseline.entries
    FOR EACH STATEMENT EXECUTE FUNCTION baseline.append_only();
CREATE TRIGGER operations_append_only BEFORE UPDATE OR DELETE ON baseline.operations
    FOR EACH ROW EXECUTE FUNCTION baseline.append_only();
CREATE TRIGGER operations_no_truncate BEFORE TRUNCATE ON baseline.operations
    FOR EACH STATEMENT EXECUTE FUNCTION baseline.append_only();

CREATE TYPE baseline.operation_result AS (
    operation_id bigint,
    amount       numeric,
    balance      numeric,
    replayed     boolean
);

CREATE TYPE baseline.hold_result AS (
    hold_id    bigint,
    amount     numeric,
    balance    numeric,
    expires_at timestamptz,
    replayed   boolean
);

-- A locked wallet as the less frequent writers (catch-up, holds) change it
-- step by step in memory before saving it once.
CREATE TYPE baseline.wstate AS (
    wallet_id       bigint,
    customer_id     text,
    credit_type     text,
    scale           integer,
    balance         numeric,
    debt            numeric,
    overdraft_limit numeric,
    last_seq        bigint,
    last_hash       bytea,
    held            numeric,
    held_overdraft  numeric,
    next_due_at     timestamptz,
    ts              timestamptz,
    actor           text
);

-- A usage report priced: the credits to consume and what the entries record.
CREATE TYPE baseline.priced AS (
    credit_type text,
    credits     numeric,
    quantity    numeric,
    unit_price  numeric,
    price_id    bigint
);

-- The ledger's now: the transaction timestamp, or baseline.clock when set.
CREATE FUNCTION baseline.ledger_now() RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT coalesce(nullif(current_setting('baseline.clock', true), '')::timestamptz,
                    transaction_timestamp())
$$;

-- An amount checked against a scale and returned at that scale: NULL 22004;
-- NaN, infinite, not positive or too many decimals 22023; more than 18
-- significant digits at the scale 22003. Never rounds.
CREATE FUNCTION baseline.checked_amount(amount numeric, scale integer, what text)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF amount IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', what USING ERRCODE = '22004';
    END IF;
    IF amount IN ('NaN', 'Infinity', '-Infinity') THEN
        RAISE EXCEPTION '% must be a finite number', what USING ERRCODE = '22023';
    END IF;
    IF amount <= 0 THEN
        RAISE EXCEPTION '% must be positive', what USING ERRCODE = '22023',
            DETAIL = format('The amount given was %s.', amount);
    END IF;
    IF pg_catalog.scale(pg_catalog.trim_scale(amount)) > scale THEN
        RAISE EXCEPTION '% has more decimal places than its credit type allows', what
            USING ERRCODE = '22023',
            DETAIL = format('The value %s has more than %s decimal places.', amount, scale);
    END IF;
    IF amount >= 10::numeric ^ (18 - scale) THEN
        RAISE EXCEPTION '% is out of range', what USING ERRCODE = '22003';
    END IF;
    RETURN round(amount, scale);
END $$;

-- A decimal of a quantity or a price: NaN or infinite 22023; more than 18
-- decimals or 18 significant digits 22003. Returns it without trailing zeros.
CREATE FUNCTION baseline.checked_decimal(value numeric, what text)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    t numeric;
BEGIN
    IF value IN ('NaN', 'Infinity', '-Infinity') THEN
        RAISE EXCEPTION '% must be a finite number', what USING ERRCODE = '22023';
    END IF;
    t := pg_catalog.trim_scale(abs(value));
    IF pg_catalog.scale(t) > 18 OR length(ltrim(replace(t::text, '.', ''), '0')) > 18 THEN
        RAISE EXCEPTION '% is out of range', what USING ERRCODE = '22003';
    END IF;
    RETURN pg_catalog.trim_scale(value);
END $$;

CREATE FUNCTION baseline.credit_type_create(credit_type text, scale integer DEFAULT 0)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO baseline.credit_types (credit_type, scale) VALUES (credit_type, scale)
$$;

-- Creates a wallet or sets its overdraft limit (0 = hard, NULL = unlimited).
CREATE FUNCTION baseline.wallet_configure(customer_id text, credit_type text,
                                          overdraft_limit numeric DEFAULT 0)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, baseline, pg_temp AS $$
DECLARE
    v_id bigint;
BEGIN
    INSERT INTO baseline.wallets AS w (customer_id, credit_type, overdraft_limit, created_at, updated_at)
    VALUES ($1, $2, $3, baseline.ledger_now(), baseline.ledger_now())
    ON CONFLICT ON CONSTRAINT wallets_customer_id_credit_type_key
    DO UPDATE SET overdraft_limit = excluded.overdraft_limit, updated_at = excluded.updated_at
    RETURNING w.wallet_id INTO v_id;
    RETURN v_id;
END $$;

-- Appends one entry to a wallet whose row the caller holds, chaining its
-- hash; returns the new hash. The caller advances last_seq/balance.
CREATE FUNCTION baseline.append_entry(
    p_wallet_id bigint, p_customer_id text, p_credit_type text, p_seq bigint,
    p_type text, p_amount numeric, p_value numeric, p_balance_after numeric,
    p_grant_id bigint, p_operation_id bigint, p_promotional boolean,
    p_feature text, p_source_id text, p_reason text, p_actor text,
    p_metadata jsonb, p_occurred_at timestamptz, p_created_at timestamptz,
    p_prev_hash bytea, p_quantity numeric DEFAULT NULL, p_unit_price numeric DEFAULT NULL,
    p_price_id bigint DEFAULT NULL)
RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE
    v_hash bytea := sha256(p_prev_hash || convert_to(row(
        p_wallet_id, p_seq, p_type, p_amount, p_value, p_balance_after, p_grant_id,
        p_operation_id, p_promotional, p_customer_id, p_credit_type, p_feature,
        p_source_id, p_reason, p_actor, p_metadata,
        extract(epoch FROM p_occurred_at), extract(epoch FROM p_created_at))::text, 'UTF8'));
BEGIN
    INSERT INTO baseline.entries
        (wallet_id, customer_id, credit_type, seq, entry_type, amount, value,
         balance_after, grant_id, operation_id, promotional, feature, source_id,
         reason, actor, metadata, occurred_at, created_at, hash, quantity, unit_price, price_id)
    VALUES (p_wallet_id, p_customer_id, p_credit_type, p_seq, p_type, p_amount, p_value,
            p_balance_after, p_grant_id, p_operation_id, p_promotional, p_feature, p_source_id,
            p_reason, p_actor, p_metadata, p_occurred_at, p_created_at, v_hash,
            p_quantity, p_unit_price, p_price_id);
    RETURN v_hash;
END $$;

-- ---------------------------------------------------------------- wallet state
-- The helpers below work on a wallet whose row the caller has locked.

CREATE FUNCTION baseline.wallet_state(p_wallet_id bigint, p_customer_id text, p_now timestamptz)
RETURNS baseline.wstate LANGUAGE plpgsql AS $$
DECLARE
    st baseline.wstate;
BEGIN
    SELECT w.wallet_id, w.customer_id, w.credit_type, t.scale, w.balance, w.debt,
           w.overdraft_limit, w.last_seq, w.last_hash, w.held, w.held_overdraft, w.next_due_at,
           p_now, coalesce(nullif(current_setting('baseline.actor', true), ''), session_user)
      INTO st
      FROM baseline.wallets w JOIN baseline.credit_types t ON t.credit_type = w.credit_type
     WHERE w.wallet_id = p_wallet_id AND w.customer_id = p_customer_id;
    RETURN st;
END $$;

CREATE FUNCTION baseline.save_state(st baseline.wstate) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE baseline.wallets w
       SET balance = st.balance, debt = st.debt, last_seq = st.last_seq, last_hash = st.last_hash,
           held = st.held, held_overdraft = st.held_overdraft, next_due_at = st.next_due_at,
           updated_at = st.ts
     WHERE w.wallet_id = st.wallet_id AND w.customer_id = st.customer_id;
END $$;

-- Appends an entry (value = amount x cost basis) and moves the balance.
CREATE FUNCTION baseline.put(st baseline.wstate, p_type text, p_amount numeric, p_grant_id bigint,
    p_cost_basis numeric, p_promotional boolean, p_op bigint, p_occurred_at timestamptz,
    p_reason text, p_feature text, p_source_id text, p_metadata jsonb)
RETURNS baseline.wstate LANGUAGE plpgsql AS $$
BEGIN
    st.last_seq := st.last_seq + 1;
    st.balance := st.balance + p_amount;
    st.last_hash := baseline.append_entry(st.wallet_id, st.customer_id, st.credit_type,
        st.last_seq, p_type, p_amount, p_amount * p_cost_basis, st.balance, p_grant_id, p_op,
        p_promotional, p_feature, p_source_id, p_reason, st.actor, p_metadata, p_occurred_at,
        st.ts, st.last_hash);
    RETURN st;
END $$;

-- The earliest instant after p_now anything is due: an active hold times
-- out, an entered block holding credit (free or reserved) lapses, a
-- scheduled block takes effect. NULL: never.
CREATE FUNCTION baseline.next_due(p_wallet_id bigint, p_customer_id text, p_now timestamptz)
RETURNS timestamptz LANGUAGE plpgsql AS $$
BEGIN
    RETURN least(
        (SELECT min(h.expires_at) FROM baseline.holds h
          WHERE h.wallet_id = p_wallet_id AND h.customer_id = p_customer_id
            AND h.status = 'held' AND h.expires_at > p_now),
        (SELECT min(CASE WHEN g.entered THEN g.expires_at ELSE g.effective_at END)
           FROM baseline.grants g
          WHERE g.wallet_id = p_wallet_id AND g.customer_id = p_customer_id AND g.open
            AND CASE WHEN g.entered THEN g.expires_at ELSE g.effective_at END > p_now));
END $$;

-- Repays debt from what is spendable at p_at, in drawdown order: a pair of
-- repayment entries per block (charged to the block, then the debt settled).
CREATE FUNCTION baseline.repay_debt(st baseline.wstate, p_at timestamptz, p_op bigint,
    p_occurred_at timestamptz, p_reason text, p_feature text, p_source_id text, p_metadata jsonb)
RETURNS baseline.wstate LANGUAGE plpgsql AS $$
DECLARE
    g      record;
    v_take numeric;
BEGIN
    IF st.debt = 0 THEN
        RETURN st;
    END IF;
    FOR g IN
        SELECT gr.grant_id, gr.remaining, gr.cost_basis, gr.promotional
          FROM baseline.grants gr
         WHERE gr.wallet_id = st.wallet_id AND gr.customer_id = st.customer_id AND gr.open
           AND gr.entered AND gr.remaining > 0
           AND gr.effective_at <= p_at AND (gr.expires_at IS NULL OR gr.expires_at > p_at)
         ORDER BY gr.priority, gr.expires_at NULLS LAST, gr.promotional DESC, gr.effective_at,
                  gr.grant_id
    LOOP
        EXIT WHEN st.debt = 0;
        v_take := least(st.debt, g.remaining);
        UPDATE baseline.grants gr
           SET remaining = gr.remaining - v_take,
               open = gr.remaining - v_take + gr.held > 0
         WHERE gr.grant_id = g.grant_id AND gr.customer_id = st.customer_id;
        st := baseline.put(st, 'repayment', -v_take, g.grant_id, g.cost_basis, g.promotional,
                           p_op, p_occurred_at, p_reason, p_feature, p_source_id, p_metadata);
        st := baseline.put(st, 'repayment', v_take, NULL, NULL, NULL,
                           p_op, p_occurred_at, p_reason, p_feature, p_source_id, p_metadata);
        st.debt := st.debt - v_take;
    END LOOP;
    RETURN st;
END $$;

-- Draws p_amount like a consume at st.ts (debt repaid first): usage entries
-- in drawdown order, the rest as debt. With p_check the overdraft limit less
-- what holds reserve against it judges that debt (LG001).
CREATE FUNCTION baseline.draw(st baseline.wstate, p_amount numeric, p_check boolean, p_op bigint,
    p_occurred_at timestamptz, p_feature text, p_source_id text, p_metadata jsonb)
RETURNS baseline.wstate LANGUAGE plpgsql AS $$
DECLARE
    g      record;
    v_left numeric := p_amount;
    v_take numeric;
BEGIN
    st := baseline.repay_debt(st, st.ts, p_op, p_occurred_at, NULL, p_feature, p_source_id, p_metadata);
    FOR g IN
        SELECT gr.grant_id, gr.remaining, gr.cost_basis, gr.promotional
          FROM baseline.grants gr
         WHERE gr.wallet_id = st.wallet_id AND gr.customer_id = st.customer_id AND gr.open
           AND gr.entered AND gr.remaining > 0
           AND gr.effective_at <= st.ts AND (gr.expires_at IS NULL OR gr.expires_at > st.ts)
         ORDER BY gr.priority, gr.expires_at NULLS LAST, gr.promotional DESC, gr.effective_at,
                  gr.grant_id
    LOOP
        EXIT WHEN v_left = 0;
        v_take := least(v_left, g.remaining);
        UPDATE baseline.grants gr
           SET remaining = gr.remaining - v_take,
               open = gr.remaining - v_take + gr.held > 0
         WHERE gr.grant_id = g.grant_id AND gr.customer_id = st.customer_id;
        st := baseline.put(st, 'usage', -v_take, g.grant_id, g.cost_basis, g.promotional,
                           p_op, p_occurred_at, NULL, p_feature, p_source_id, p_metadata);
        v_left := v_left - v_take;
    END LOOP;
    IF v_left > 0 THEN
        IF p_check AND st.overdraft_limit IS NOT NULL
           AND st.debt + v_left > greatest(0, st.overdraft_limit - st.held_overdraft) THEN
            RAISE EXCEPTION 'insufficient credits' USING ERRCODE = 'LG001';
        END IF;
        st := baseline.put(st, 'usage', -v_left, NULL, NULL, NULL,
                           p_op, p_occurred_at, NULL, p_feature, p_source_id, p_metadata);
        st.debt := st.debt + v_left;
    END IF;
    RETURN st;
END $$;

-- A hold ends (captured, released, timed out): the wallet's sums drop.
CREATE FUNCTION baseline.end_hold(st baseline.wstate, p_amount numeric, p_ids bigint[],
                                  p_amounts numeric[])
RETURNS baseline.wstate LANGUAGE plpgsql AS $$
BEGIN
    st.held := st.held - p_amount;
    st.held_overdraft := st.held_overdraft
        - coalesce((SELECT sum(x.a) FROM unnest(p_ids, p_amounts) AS x (id, a) WHERE x.id IS NULL), 0);
    RETURN st;
END $$;

-- Credits a hold gives up go back to their blocks: onto remaining for a
-- live block, out again at once (an expiration entry) for one that lapsed
-- meanwhile; the overdraft part just ends. Credit back on a live block
-- repays debt.
CREATE FUNCTION baseline.return_reserved(st baseline.wstate, p_ids bigint[], p_amounts numeric[],
    p_at timestamptz, p_op bigint, p_occurred_at timestamptz, p_reason text, p_feature text,
    p_source_id text, p_metadata jsonb)
RETURNS baseline.wstate LANGUAGE plpgsql AS $$
DECLARE
    g      record;
    v_live boolean := false;
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_ids, 1), 0) LOOP
        CONTINUE WHEN p_ids[i] IS NULL OR p_amounts[i] = 0;
        SELECT gr.cost_basis, gr.promotional,
               gr.voided_at IS NOT NULL OR gr.expired_at IS NOT NULL
               OR coalesce(gr.expires_at <= p_at, false) AS lapsed
          INTO g
          FROM baseline.grants gr WHERE gr.grant_id = p_ids[i] AND gr.customer_id = st.customer_id;
        IF NOT g.lapsed THEN
            UPDATE baseline.grants gr
               SET held = gr.held - p_amounts[i], remaining = gr.remaining + p_amounts[i], open = true
             WHERE gr.grant_id = p_ids[i] AND gr.customer_id = st.customer_id;
            v_live := true;
        ELSE
            -- Free credit it still has lapses as its own happening, which marks it.
            UPDATE baseline.grants gr
               SET held = gr.held - p_amounts[i],
                   expired_amount = gr.expired_amount + p_amounts[i],
                   expired_at = CASE WHEN gr.expired_at IS NULL AND gr.remaining = 0 THEN p_at
                                     ELSE gr.expired_at END,
                   open = gr.expired_at IS NULL AND gr.voided_at IS NULL AND gr.remaining > 0
             WHERE gr.grant_id = p_ids[i] AND gr.customer_id = st.customer_id;
            st := baseline.put(st, 'expiration', -p_amounts[i], p_ids[i], g.cost_basis,
                               g.promotional, p_op, p_occurred_at, p_reason, p_feature,
                               p_source_id, p_metadata);
        END IF;
    END LOOP;
    IF v_live THEN
        st := baseline.repay_debt(st, p_at, p_op, p_occurred_at, p_reason, p_feature, p_source_id,
                                  p_metadata);
    END IF;
    RETURN st;
END $$;

-- ---------------------------------------------------------------- time
-- Brings a locked wallet up to p_now: every happening due, in time order
-- (at one instant: holds time out, blocks lapse, blocks take effect; then by
-- id), under one catch_up operation whose entries are dated when each
-- happened. Sets next_due_at. Returns the blocks that lapsed with credit.
CREATE FUNCTION baseline.catch_up(p_wallet_id bigint, p_customer_id text, p_now timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    st       baseline.wstate := baseline.wallet_state(p_wallet_id, p_customer_id, p_now);
    v_first  bigint := st.last_seq + 1;
    v_op     bigint;
    v_lapsed integer := 0;
    d        record;
    g        record;
    h        record;
BEGIN
    -- The candidates are known up front: a block may lapse after it takes
    -- effect in the same catch-up, and whether it still has credit to lapse
    -- is read when its turn comes.
    FOR d IN
        SELECT hl.expires_at AS at, 0 AS kind, hl.hold_id AS id
          FROM baseline.holds hl
         WHERE hl.wallet_id = p_wallet_id AND hl.customer_id = p_customer_id
           AND hl.status = 'held' AND hl.expires_at <= p_now
        UNION ALL
        SELECT gr.expires_at, 1, gr.grant_id
          FROM baseline.grants gr
         WHERE gr.wallet_id = p_wallet_id AND gr.customer_id = p_customer_id AND gr.open
           AND gr.expires_at <= p_now
        UNION ALL
        SELECT gr.effective_at, 3, gr.grant_id
          FROM baseline.grants gr
         WHERE gr.wallet_id = p_wallet_id AND gr.customer_id = p_customer_id AND gr.open
           AND NOT gr.entered AND gr.effective_at <= p_now
        ORDER BY 1, 2, 3
    LOOP
        IF d.kind = 0 THEN
            -- A hold times out: its credit goes back.
            v_op := coalesce(v_op, nextval('baseline.operations_operation_id_seq'));
            UPDATE baseline.holds hl SET status = 'expired', closed_at = d.at
             WHERE hl.hold_id = d.id AND hl.customer_id = p_customer_id
            RETURNING hl.amount, hl.reserved_grant_ids, hl.reserved_amounts INTO h;
            st := baseline.end_hold(st, h.amount, h.reserved_grant_ids, h.reserved_amounts);
            st := baseline.return_reserved(st, h.reserved_grant_ids, h.reserved_amounts, d.at, v_op,
                                           d.at, 'hold expired', NULL, NULL, NULL);
        ELSIF d.kind = 1 THEN
            -- A block lapses: its free credit leaves.
            SELECT gr.remaining, gr.cost_basis, gr.promotional INTO g
              FROM baseline.grants gr
             WHERE gr.grant_id = d.id AND gr.customer_id = p_customer_id
               AND gr.entered AND gr.expired_at IS NULL AND gr.voided_at IS NULL;
            CONTINUE WHEN NOT FOUND OR g.remaining = 0;
            v_op := coalesce(v_op, nextval('baseline.operations_operation_id_seq'));
            UPDATE baseline.grants gr
               SET remaining = round(0, st.scale), expired_amount = gr.expired_amount + gr.remaining,
                   expired_at = d.at, open = false
             WHERE gr.grant_id = d.id AND gr.customer_id = p_customer_id;
            st := baseline.put(st, 'expiration', -g.remaining, d.id, g.cost_basis, g.promotional,
                               v_op, d.at, 'expired', NULL, NULL, NULL);
            v_lapsed := v_lapsed + 1;
        ELSE
            -- A scheduled block takes effect: its grant entry, then debt repaid.
            v_op := coalesce(v_op, nextval('baseline.operations_operation_id_seq'));
            UPDATE baseline.grants gr SET entered = true
             WHERE gr.grant_id = d.id AND gr.customer_id = p_customer_id
            RETURNING gr.remaining, gr.cost_basis, gr.promotional INTO g;
            st := baseline.put(st, 'grant', g.remaining, d.id, g.cost_basis, g.promotional,
                               v_op, d.at, 'scheduled grant took effect', NULL, NULL, NULL);
            st := baseline.repay_debt(st, d.at, v_op, d.at, 'scheduled grant took effect',
                                      NULL, NULL, NULL);
        END IF;
    END LOOP;
    st.next_due_at := baseline.next_due(p_wallet_id, p_customer_id, p_now);
    IF v_op IS NOT NULL THEN
        INSERT INTO baseline.operations
            (operation_id, customer_id, wallet_id, credit_type, operation_type, balance,
             first_seq, last_seq, created_at)
        VALUES (v_op, p_customer_id, p_wallet_id, st.credit_type, 'catch_up', st.balance - st.held,
                v_first, st.last_seq, p_now);
    END IF;
    PERFORM baseline.save_state(st);
    RETURN v_lapsed;
END $$;

-- The sweep, for wallets nobody touches (pg_cron would run it): catches up
-- every due wallet, one at a time under its lock, until max_grants blocks
-- lapsed. Returns the blocks that lapsed with credit left.
CREATE FUNCTION baseline.expire(max_grants integer DEFAULT 10000)
RETURNS integer LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, baseline, pg_temp AS $$
DECLARE
    v_now timestamptz := baseline.ledger_now();
    v_n   integer := 0;
    w     record;
BEGIN
    FOR w IN
        SELECT wl.wallet_id, wl.customer_id FROM baseline.wallets wl
         WHERE wl.next_due_at <= v_now ORDER BY wl.next_due_at, wl.wallet_id
    LOOP
        EXIT WHEN v_n >= max_grants;
        PERFORM FROM baseline.wallets wl
          WHERE wl.wallet_id = w.wallet_id AND wl.customer_id = w.customer_id
            AND wl.next_due_at <= v_now
            FOR UPDATE;
        CONTINUE WHEN NOT FOUND;
        v_n := v_n + baseline.catch_up(w.wallet_id, w.customer_id, v_now);
    END LOOP;
    RETURN v_n;
END $$;

-- ---------------------------------------------------------------- grants
-- Adds a credit block (creating the wallet on first grant). A block that
-- starts now or earlier enters at once (its grant entry dated effective_at)
-- and repays overdraft debt first, from all spendable grants in drawdown
-- order, the new one included; a scheduled one enters when it takes effect.
-- Returns the grant id.
CREATE FUNCTION baseline.grant(
    customer_id text,
    credit_type text,
    amount numeric,
    promotional boolean DEFAULT false,
    priority integer DEFAULT 50,
    cost_basis numeric DEFAULT NULL,
    effective_at timestamptz DEFAULT NULL,
    expires_at timestamptz DEFAULT NULL,
    idempotency_key text DEFAULT NULL,
    reason text DEFAULT NULL,
    source_id text DEFAULT NULL,
    metadata jsonb DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, baseline, pg_temp AS $$
#variable_conflict use_column
DECLARE
    a_customer_id      ALIAS FOR $1;
    a_credit_type      ALIAS FOR $2;
    a_amount           ALIAS FOR $3;
    a_promotional      ALIAS FOR $4;
    a_priority         ALIAS FOR $5;
    a_cost_basis       ALIAS FOR $6;
    a_effective_at     ALIAS FOR $7;
    a_expires_at       ALIAS FOR $8;
    a_idempotency_key  ALIAS FOR $9;
    a_reason           ALIAS FOR $10;
    a_source_id        ALIAS FOR $11;
    a_metadata         ALIAS FOR $12;
    v_now       timestamptz := baseline.ledger_now();
    v_effective timestamptz := coalesce(effective_at, v_now);
    v_actor     text := coalesce(nullif(current_setting('baseline.actor', true), ''), session_user);
    v_key       bytea;
    v_req       bytea;
    v_scale     integer;
    v_units     numeric;
    v_grant_id  bigint;
    v_op_id     bigint;
    v_debt_left numeric;
    v_take      numeric;
    w           record;
    o           record;
    g           record;
    v_ids       bigint[] := '{}';
    v_takes     numeric[] := '{}';
    v_bases     numeric[] := '{}';
    v_promos    boolean[] := '{}';
    i           integer;
BEGIN
    IF customer_id IS NULL OR credit_type IS NULL OR promotional IS NULL OR priority IS NULL THEN
        RAISE EXCEPTION 'customer_id, credit_type, promotional and priority must not be NULL'
            USING ERRCODE = '22004';
    END IF;
    IF amount IS NULL THEN
        RAISE EXCEPTION 'amount must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF length(customer_id) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'customer_id must have 1 to 255 characters' USING ERRCODE = '22023';
    END IF;
    IF priority < 0 THEN
        RAISE EXCEPTION 'priority must not be negative' USING ERRCODE = '22023';
    END IF;
    IF cost_basis IN ('NaN', 'Infinity', '-Infinity') OR cost_basis < 0 THEN
        RAISE EXCEPTION 'cost_basis must be a finite number, not negative' USING ERRCODE = '22023';
    END IF;
    IF expires_at IS NOT NULL AND expires_at <= v_effective THEN
        RAISE EXCEPTION 'expires_at must be after effective_at' USING ERRCODE = '22023';
    END IF;
    IF expires_at IS NOT NULL AND expires_at <= v_now THEN
        RAISE EXCEPTION 'expires_at is already past' USING ERRCODE = '22023';
    END IF;
    IF metadata IS NOT NULL AND jsonb_typeof(metadata) <> 'object' THEN
        RAISE EXCEPTION 'metadata must be a JSON object' USING ERRCODE = '22023';
    END IF;

    IF idempotency_key IS NOT NULL THEN
        IF length(idempotency_key) NOT BETWEEN 1 AND 10000 THEN
            RAISE EXCEPTION 'idempotency_key must have 1 to 10000 characters' USING ERRCODE = '22023';
        END IF;
        v_key := sha256(convert_to(idempotency_key, 'UTF8'));
        v_req := sha256(convert_to(row('grant', credit_type, trim_scale(amount), promotional,
                     priority, trim_scale(cost_basis), effective_at, expires_at, reason,
                     source_id, metadata)::text, 'UTF8'));
        SELECT op.operation_type, op.request_hash, op.grant_id INTO o
          FROM baseline.operations op
         WHERE op.customer_id = a_customer_id AND op.key_hash = v_key;
        IF FOUND THEN
            IF o.operation_type <> 'grant' OR o.request_hash IS DISTINCT FROM v_req THEN
                RAISE EXCEPTION 'idempotency key was already used with different parameters'
                    USING ERRCODE = 'LG002';
            END IF;
            RETURN o.grant_id;
        END IF;
    END IF;

    SELECT t.scale INTO v_scale FROM baseline.credit_types t WHERE t.credit_type = a_credit_type;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'credit type "%" does not exist', credit_type USING ERRCODE = 'LG003';
    END IF;
    v_units := baseline.checked_amount(amount, v_scale, 'amount');

    -- Lock the wallet, creating it on first grant.
    SELECT wl.wallet_id, wl.balance, wl.debt, wl.last_seq, wl.last_hash, wl.next_due_at,
           wl.held INTO w
      FROM baseline.wallets wl
     WHERE wl.customer_id = a_customer_id AND wl.credit_type = a_credit_type
       FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO baseline.wallets AS wl (customer_id, credit_type, balance, debt, created_at, updated_at)
        VALUES (a_customer_id, a_credit_type, round(0, v_scale), round(0, v_scale), v_now, v_now)
        ON CONFLICT ON CONSTRAINT wallets_customer_id_credit_type_key DO NOTHING;
        SELECT wl.wallet_id, wl.balance, wl.debt, wl.last_seq, wl.last_hash, wl.next_due_at,
               wl.held INTO w
          FROM baseline.wallets wl
         WHERE wl.customer_id = a_customer_id AND wl.credit_type = a_credit_type
           FOR UPDATE;
    END IF;
    -- Up to now first (a replay found under the lock writes nothing).
    IF w.next_due_at <= v_now THEN
        IF v_key IS NOT NULL AND EXISTS (SELECT FROM baseline.operations op
                                          WHERE op.customer_id = a_customer_id AND op.key_hash = v_key) THEN
            RETURN baseline.grant(customer_id, credit_type, amount, promotional, priority, cost_basis,
                                  effective_at, expires_at, idempotency_key, reason, source_id, metadata);
        END IF;
        PERFORM baseline.catch_up(w.wallet_id, a_customer_id, v_now);
        SELECT wl.wallet_id, wl.balance, wl.debt, wl.last_seq, wl.last_hash, wl.next_due_at,
               wl.held INTO w
          FROM baseline.wallets wl
         WHERE wl.customer_id = a_customer_id AND wl.credit_type = a_credit_type;
    END IF;

    v_grant_id := nextval(pg_get_serial_sequence('baseline.grants', 'grant_id'));

    IF v_effective > v_now THEN
        -- Scheduled: no entry until it takes effect (the catch-up writes it).
        INSERT INTO baseline.operations
            (customer_id, wallet_id, credit_type, operation_type, idempotency_key, key_hash,
             request_hash, amount, balance, grant_id, first_seq, last_seq, created_at)
        VALUES (a_customer_id, w.wallet_id, a_credit_type, 'grant', idempotency_key, v_key,
                v_req, v_units, w.balance - w.held, v_grant_id, w.last_seq + 1, w.last_seq, v_now)
        ON CONFLICT (customer_id, key_hash) WHERE key_hash IS NOT NULL DO NOTHING
        RETURNING operation_id INTO v_op_id;
        IF v_op_id IS NULL THEN
            RETURN baseline.grant(customer_id, credit_type, amount, promotional, priority, cost_basis,
                                  effective_at, expires_at, idempotency_key, reason, source_id, metadata);
        END IF;
        INSERT INTO baseline.grants
            (grant_id, wallet_id, customer_id, credit_type, amount, remaining, promotional, priority,
             cost_basis, effective_at, expires_at, reason, source_id, metadata, operation_id,
             created_at, open, entered, expired_amount)
        VALUES (v_grant_id, w.wallet_id, a_customer_id, a_credit_type, v_units, v_units,
                a_promotional, a_priority, a_cost_basis, v_effective, a_expires_at,
                a_reason, a_source_id, a_metadata, v_op_id, v_now, true, false, round(0, v_scale));
        UPDATE baseline.wallets wl
           SET next_due_at = least(wl.next_due_at, v_effective), updated_at = v_now
         WHERE wl.wallet_id = w.wallet_id AND wl.customer_id = a_customer_id;
        RETURN v_grant_id;
    END IF;

    -- Debt is repaid from what is spendable now, the new block included, in
    -- drawdown order; the new block sorts by its own attributes.
    v_debt_left := w.debt;
    IF v_debt_left > 0 THEN
        FOR g IN
            SELECT x.grant_id, x.remaining, x.cost_basis, x.promotional
              FROM (SELECT gr.grant_id, gr.remaining, gr.cost_basis, gr.promotional, gr.priority,
                           gr.expires_at, gr.effective_at
                      FROM baseline.grants gr
                     WHERE gr.wallet_id = w.wallet_id AND gr.customer_id = a_customer_id
                       AND gr.open AND gr.entered AND gr.remaining > 0 AND gr.effective_at <= v_now
                       AND (gr.expires_at IS NULL OR gr.expires_at > v_now)
                    UNION ALL
                    SELECT v_grant_id, v_units, a_cost_basis, a_promotional, a_priority,
                           a_expires_at, v_effective) x
             ORDER BY x.priority, x.expires_at NULLS LAST, x.promotional DESC, x.effective_at, x.grant_id
        LOOP
            EXIT WHEN v_debt_left = 0;
            v_take := least(v_debt_left, g.remaining);
            v_ids := v_ids || g.grant_id;
            v_takes := v_takes || v_take;
            v_bases := v_bases || g.cost_basis;
            v_promos := v_promos || g.promotional;
            v_debt_left := v_debt_left - v_take;
        END LOOP;
    END IF;

    INSERT INTO baseline.operations
        (customer_id, wallet_id, credit_type, operation_type, idempotency_key, key_hash,
         request_hash, amount, balance, grant_id, first_seq, last_seq, created_at)
    VALUES (a_customer_id, w.wallet_id, a_credit_type, 'grant', idempotency_key, v_key,
            v_req, v_units, w.balance + v_units - w.held, v_grant_id, w.last_seq + 1,
            w.last_seq + 1 + 2 * coalesce(array_length(v_ids, 1), 0), v_now)
    ON CONFLICT (customer_id, key_hash) WHERE key_hash IS NOT NULL DO NOTHING
    RETURNING operation_id INTO v_op_id;
    IF v_op_id IS NULL THEN
        -- A concurrent call with the same key committed first: replay it.
        RETURN baseline.grant(customer_id, credit_type, amount, promotional, priority, cost_basis,
                              effective_at, expires_at, idempotency_key, reason, source_id, metadata);
    END IF;

    INSERT INTO baseline.grants
        (grant_id, wallet_id, customer_id, credit_type, amount, remaining, promotional, priority,
         cost_basis, effective_at, expires_at, reason, source_id, metadata, operation_id,
         created_at, open, expired_amount)
    VALUES (v_grant_id, w.wallet_id, a_customer_id, a_credit_type, v_units, v_units,
            a_promotional, a_priority, a_cost_basis, v_effective, a_expires_at,
            a_reason, a_source_id, a_metadata, v_op_id, v_now, true, round(0, v_scale));

    w.last_seq := w.last_seq + 1;
    w.balance := w.balance + v_units;
    w.last_hash := baseline.append_entry(w.wallet_id, a_customer_id, a_credit_type,
        w.last_seq, 'grant', v_units, v_units * a_cost_basis, w.balance, v_grant_id, v_op_id,
        a_promotional, NULL, a_source_id, a_reason, v_actor, a_metadata,
        v_effective, v_now, w.last_hash);

    FOR i IN 1 .. coalesce(array_length(v_ids, 1), 0) LOOP
        UPDATE baseline.grants gr
           SET remaining = gr.remaining - v_takes[i],
               open = gr.remaining - v_takes[i] + gr.held > 0
         WHERE gr.grant_id = v_ids[i] AND gr.customer_id = a_customer_id;
        -- A pair: charged to the block (-), then the debt settled (+).
        w.last_seq := w.last_seq + 1;
        w.balance := w.balance - v_takes[i];
        w.last_hash := baseline.append_entry(w.wallet_id, a_customer_id, a_credit_type,
            w.last_seq, 'repayment', -v_takes[i], -v_takes[i] * v_bases[i], w.balance, v_ids[i],
            v_op_id, v_promos[i], NULL, a_source_id, a_reason, v_actor, a_metadata,
            v_now, v_now, w.last_hash);
        w.last_seq := w.last_seq + 1;
        w.balance := w.balance + v_takes[i];
        w.debt := w.debt - v_takes[i];
        w.last_hash := baseline.append_entry(w.wallet_id, a_customer_id, a_credit_type,
            w.last_seq, 'repayment', v_takes[i], NULL, w.balance, NULL, v_op_id, NULL, NULL,
            a_source_id, a_reason, v_actor, a_metadata, v_now, v_now, w.last_hash);
    END LOOP;

    UPDATE baseline.wallets wl
       SET balance = w.balance, debt = w.debt, last_seq = w.last_seq, last_hash = w.last_hash,
           next_due_at = least(wl.next_due_at, a_expires_at), updated_at = v_now
     WHERE wl.wallet_id = w.wallet_id AND wl.customer_id = a_customer_id;
    RETURN v_grant_id;
END $$;

-- ---------------------------------------------------------------- consume
-- Draws `amount` down from the wallet's spendable grants in drawdown order,
-- in the caller's transaction: the hot path, inline. Outstanding debt is
-- repaid first from spendable grants (as credit_ledger does). Under a hard
-- limit a consume the spendable balance (less what holds reserve against the
-- overdraft allowance) cannot cover raises LG001 before anything is
-- written. With p_allow_partial it applies what the available balance
-- covers (maybe 0) and never goes into debt. The priced-usage callers pass
-- their request digest, the quantity and the price (an amount of 0 is then
-- a result: the operation is recorded, nothing drawn). Not SECURITY DEFINER
-- itself: its callers are.
CREATE FUNCTION baseline.consume_core(
    p_customer_id text, p_credit_type text, p_amount numeric, p_key text, p_feature text,
    p_source_id text, p_occurred_at timestamptz, p_metadata jsonb, p_allow_partial boolean,
    p_req bytea DEFAULT NULL, p_quantity numeric DEFAULT NULL, p_unit_price numeric DEFAULT NULL,
    p_price_id bigint DEFAULT NULL)
RETURNS baseline.operation_result LANGUAGE plpgsql AS $$
DECLARE
    v_now       timestamptz := baseline.ledger_now();
    v_key       bytea;
    v_req       bytea;
    v_units     numeric;
    v_left      numeric;
    v_debt_left numeric;
    v_spendable numeric := 0;
    v_take      numeric;
    v_repay     numeric;
    v_uncovered numeric;
    v_result    numeric;
    v_op_id     bigint;
    v_nentries  integer;
    v_actor     text;
    v_occurred  timestamptz;
    w           record;
    o           record;
    g           record;
    -- Repayments (r_) and draws (d_), in drawdown order.
    r_ids       bigint[] := '{}';
    r_takes     numeric[] := '{}';
    r_bases     numeric[] := '{}';
    r_promos    boolean[] := '{}';
    d_ids       bigint[] := '{}';
    d_takes     numeric[] := '{}';
    d_bases     numeric[] := '{}';
    d_promos    boolean[] := '{}';
    i           integer;
BEGIN
    IF p_customer_id IS NULL OR p_credit_type IS NULL THEN
        RAISE EXCEPTION 'customer_id and credit_type must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF p_amount IS NULL THEN
        RAISE EXCEPTION 'amount must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF p_allow_partial IS NULL THEN
        RAISE EXCEPTION 'allow_partial must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF p_amount IN ('NaN', 'Infinity', '-Infinity') OR p_amount < 0
       OR (p_amount = 0 AND p_quantity IS NULL) THEN
        RAISE EXCEPTION 'amount must be positive' USING ERRCODE = '22023',
            DETAIL = format('The amount given was %s.', p_amount);
    END IF;
    IF length(p_customer_id) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'customer_id must have 1 to 255 characters' USING ERRCODE = '22023';
    END IF;
    IF p_metadata IS NOT NULL AND jsonb_typeof(p_metadata) <> 'object' THEN
        RAISE EXCEPTION 'metadata must be a JSON object' USING ERRCODE = '22023';
    END IF;
    IF p_occurred_at > v_now + interval '24 hours' THEN
        RAISE EXCEPTION 'occurred_at is too far in the future' USING ERRCODE = '22023';
    END IF;

    IF p_key IS NOT NULL THEN
        IF length(p_key) NOT BETWEEN 1 AND 10000 THEN
            RAISE EXCEPTION 'idempotency_key must have 1 to 10000 characters' USING ERRCODE = '22023';
        END IF;
        v_key := sha256(convert_to(p_key, 'UTF8'));
        v_req := coalesce(p_req, sha256(convert_to(row('consume', p_credit_type, trim_scale(p_amount),
                     p_feature, p_source_id, p_occurred_at, p_metadata, p_allow_partial)::text, 'UTF8')));
        SELECT op.operation_id, op.operation_type, op.request_hash, op.amount, op.balance INTO o
          FROM baseline.operations op
         WHERE op.customer_id = p_customer_id AND op.key_hash = v_key;
        IF FOUND THEN
            IF o.operation_type <> 'consume' OR o.request_hash IS DISTINCT FROM v_req THEN
                RAISE EXCEPTION 'idempotency key was already used with different parameters'
                    USING ERRCODE = 'LG002',
                    DETAIL = format('The key was first used by %s operation %s.',
                                    o.operation_type, o.operation_id);
            END IF;
            RETURN (o.operation_id, o.amount, o.balance, true)::baseline.operation_result;
        END IF;
    END IF;

    SELECT wl.wallet_id, wl.balance, wl.debt, wl.overdraft_limit, wl.last_seq, wl.last_hash,
           wl.next_due_at, wl.held_overdraft, t.scale INTO w
      FROM baseline.wallets wl
      JOIN baseline.credit_types t ON t.credit_type = wl.credit_type
     WHERE wl.customer_id = p_customer_id AND wl.credit_type = p_credit_type
       FOR UPDATE OF wl;
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT FROM baseline.credit_types t WHERE t.credit_type = p_credit_type) THEN
            RAISE EXCEPTION 'credit type "%" does not exist', p_credit_type USING ERRCODE = 'LG003';
        END IF;
        RAISE EXCEPTION 'insufficient credits' USING ERRCODE = 'LG001',
            DETAIL = format('Customer "%s" has no %s wallet.', p_customer_id, p_credit_type);
    END IF;
    -- Up to now first: one comparison when nothing is due (a replay found
    -- under the lock writes nothing).
    IF w.next_due_at <= v_now THEN
        IF v_key IS NOT NULL AND EXISTS (SELECT FROM baseline.operations op
                                          WHERE op.customer_id = p_customer_id AND op.key_hash = v_key) THEN
            RETURN baseline.consume_core(p_customer_id, p_credit_type, p_amount, p_key, p_feature,
                p_source_id, p_occurred_at, p_metadata, p_allow_partial, p_req, p_quantity,
                p_unit_price, p_price_id);
        END IF;
        PERFORM baseline.catch_up(w.wallet_id, p_customer_id, v_now);
        SELECT wl.wallet_id, wl.balance, wl.debt, wl.overdraft_limit, wl.last_seq, wl.last_hash,
               wl.next_due_at, wl.held_overdraft, t.scale INTO w
          FROM baseline.wallets wl
          JOIN baseline.credit_types t ON t.credit_type = wl.credit_type
         WHERE wl.customer_id = p_customer_id AND wl.credit_type = p_credit_type;
    END IF;
    IF p_amount = 0 THEN
        v_units := round(0, w.scale);
    ELSE
        v_units := baseline.checked_amount(p_amount, w.scale, 'amount');
    END IF;
    IF p_allow_partial THEN
        SELECT coalesce(sum(gr.remaining), 0) INTO v_spendable
          FROM baseline.grants gr
         WHERE gr.wallet_id = w.wallet_id AND gr.customer_id = p_customer_id AND gr.open
           AND gr.entered AND gr.remaining > 0
           AND gr.effective_at <= v_now AND (gr.expires_at IS NULL OR gr.expires_at > v_now);
        v_units := greatest(round(0, w.scale),
                            least(v_units, v_spendable - w.debt - w.held_overdraft));
        v_spendable := 0;
    END IF;

    -- One pass over the spendable grants in drawdown order: debt first, then
    -- the consume; the sum of all of them is the spendable balance.
    v_debt_left := w.debt;
    v_left := v_units;
    FOR g IN
        SELECT gr.grant_id, gr.remaining, gr.cost_basis, gr.promotional
          FROM baseline.grants gr
         WHERE gr.wallet_id = w.wallet_id AND gr.customer_id = p_customer_id AND gr.open
           AND gr.entered AND gr.remaining > 0
           AND gr.effective_at <= v_now AND (gr.expires_at IS NULL OR gr.expires_at > v_now)
         ORDER BY gr.priority, gr.expires_at NULLS LAST, gr.promotional DESC, gr.effective_at,
                  gr.grant_id
    LOOP
        v_spendable := v_spendable + g.remaining;
        v_repay := 0;
        IF v_debt_left > 0 THEN
            v_repay := least(v_debt_left, g.remaining);
            r_ids := r_ids || g.grant_id;
            r_takes := r_takes || v_repay;
            r_bases := r_bases || g.cost_basis;
            r_promos := r_promos || g.promotional;
            v_debt_left := v_debt_left - v_repay;
        END IF;
        IF v_left > 0 AND g.remaining > v_repay THEN
            v_take := least(v_left, g.remaining - v_repay);
            d_ids := d_ids || g.grant_id;
            d_takes := d_takes || v_take;
            d_bases := d_bases || g.cost_basis;
            d_promos := d_promos || g.promotional;
            v_left := v_left - v_take;
        END IF;
    END LOOP;

    v_uncovered := v_left;
    IF v_uncovered > 0 AND w.overdraft_limit IS NOT NULL
       AND v_debt_left + v_uncovered > greatest(0, w.overdraft_limit - w.held_overdraft) THEN
        RAISE EXCEPTION 'insufficient credits' USING ERRCODE = 'LG001',
            DETAIL = format('The spendable balance is %s and %s was requested.',
                            v_spendable - w.debt - w.held_overdraft, v_units);
    END IF;

    v_result := v_spendable - w.debt - w.held_overdraft - v_units;
    v_nentries := 2 * coalesce(array_length(r_ids, 1), 0) + coalesce(array_length(d_ids, 1), 0)
                  + CASE WHEN v_uncovered > 0 THEN 1 ELSE 0 END;
    INSERT INTO baseline.operations
        (customer_id, wallet_id, credit_type, operation_type, idempotency_key, key_hash,
         request_hash, amount, balance, first_seq, last_seq, created_at)
    VALUES (p_customer_id, w.wallet_id, p_credit_type, 'consume', p_key,
            v_key, v_req, v_units, v_result, w.last_seq + 1,
            w.last_seq + v_nentries, v_now)
    ON CONFLICT (customer_id, key_hash) WHERE key_hash IS NOT NULL DO NOTHING
    RETURNING operation_id INTO v_op_id;
    IF v_op_id IS NULL THEN
        -- A concurrent call with the same key committed first: replay it.
        RETURN baseline.consume_core(p_customer_id, p_credit_type, p_amount, p_key, p_feature,
            p_source_id, p_occurred_at, p_metadata, p_allow_partial, p_req, p_quantity,
            p_unit_price, p_price_id);
    END IF;

    v_actor := coalesce(nullif(current_setting('baseline.actor', true), ''), session_user);
    v_occurred := coalesce(p_occurred_at, v_now);

    FOR i IN 1 .. coalesce(array_length(r_ids, 1), 0) LOOP
        -- A pair: charged to the block (-), then the debt settled (+).
        w.last_seq := w.last_seq + 1;
        w.balance := w.balance - r_takes[i];
        w.last_hash := baseline.append_entry(w.wallet_id, p_customer_id, p_credit_type,
            w.last_seq, 'repayment', -r_takes[i], -r_takes[i] * r_bases[i], w.balance, r_ids[i],
            v_op_id, r_promos[i], p_feature, p_source_id, NULL, v_actor, p_metadata, v_occurred,
            v_now, w.last_hash);
        w.last_seq := w.last_seq + 1;
        w.balance := w.balance + r_takes[i];
        w.debt := w.debt - r_takes[i];
        w.last_hash := baseline.append_entry(w.wallet_id, p_customer_id, p_credit_type,
            w.last_seq, 'repayment', r_takes[i], NULL, w.balance, NULL, v_op_id, NULL, p_feature,
            p_source_id, NULL, v_actor, p_metadata, v_occurred, v_now, w.last_hash);
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(d_ids, 1), 0) LOOP
        -- The usage entry, inline (the hot path): seq, balance_after, hash.
        w.last_seq := w.last_seq + 1;
        w.balance := w.balance - d_takes[i];
        w.last_hash := sha256(w.last_hash || convert_to(row(
            w.wallet_id, w.last_seq, 'usage', -d_takes[i], -d_takes[i] * d_bases[i], w.balance,
            d_ids[i], v_op_id, d_promos[i], p_customer_id, p_credit_type, p_feature,
            p_source_id, NULL::text, v_actor, p_metadata, extract(epoch FROM v_occurred),
            extract(epoch FROM v_now))::text, 'UTF8'));
        INSERT INTO baseline.entries
            (wallet_id, customer_id, credit_type, seq, entry_type, amount, value,
             balance_after, grant_id, operation_id, promotional, feature, source_id,
             actor, metadata, occurred_at, created_at, hash, quantity, unit_price, price_id)
        VALUES (w.wallet_id, p_customer_id, p_credit_type, w.last_seq, 'usage',
                -d_takes[i], -d_takes[i] * d_bases[i], w.balance, d_ids[i], v_op_id,
                d_promos[i], p_feature, p_source_id, v_actor, p_metadata, v_occurred, v_now,
                w.last_hash, p_quantity, p_unit_price, p_price_id);
    END LOOP;
    IF v_uncovered > 0 THEN
        w.last_seq := w.last_seq + 1;
        w.balance := w.balance - v_uncovered;
        w.debt := w.debt + v_uncovered;
        w.last_hash := baseline.append_entry(w.wallet_id, p_customer_id, p_credit_type,
            w.last_seq, 'usage', -v_uncovered, NULL, w.balance, NULL, v_op_id, NULL, p_feature,
            p_source_id, NULL, v_actor, p_metadata, v_occurred, v_now, w.last_hash,
            p_quantity, p_unit_price, p_price_id);
    END IF;

    -- What the repayments and the draws took from each grant.
    FOR i IN 1 .. coalesce(array_length(r_ids, 1), 0) LOOP
        UPDATE baseline.grants gr
           SET remaining = gr.remaining - r_takes[i],
               open = gr.remaining - r_takes[i] + gr.held > 0
         WHERE gr.grant_id = r_ids[i] AND gr.customer_id = p_customer_id;
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(d_ids, 1), 0) LOOP
        UPDATE baseline.grants gr
           SET remaining = gr.remaining - d_takes[i],
               open = gr.remaining - d_takes[i] + gr.held > 0
         WHERE gr.grant_id = d_ids[i] AND gr.customer_id = p_customer_id;
    END LOOP;

    UPDATE baseline.wallets wl
       SET balance = w.balance, debt = w.debt, last_seq = w.last_seq, last_hash = w.last_hash,
           updated_at = v_now
     WHERE wl.wallet_id = w.wallet_id AND wl.customer_id = p_customer_id;

    RETURN (v_op_id, v_units, v_result, false)::baseline.operation_result;
END $$;

-- baseline.consume: credit_consume's signature (1.2: allow_partial).
CREATE FUNCTION baseline.consume(
    customer_id text,
    credit_type text,
    amount numeric,
    idempotency_key text DEFAULT NULL,
    feature text DEFAULT NULL,
    source_id text DEFAULT NULL,
    occurred_at timestamptz DEFAULT NULL,
    metadata jsonb DEFAULT NULL,
    allow_partial boolean DEFAULT false)
RETURNS baseline.operation_result LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, baseline, pg_temp AS $$
BEGIN
    RETURN baseline.consume_core($1, $2, $3, $4, $5, $6, $7, $8, $9);
END $$;

-- Many usage events in one call (and one transaction): one result row per
-- event, in input order, each exactly what baseline.consume returns. The
-- wallets are locked first in (customer_id, credit_type) order, so
-- concurrent batches over shared wallets cannot deadlock. Any failing event
-- (LG001, bad input) fails the whole batch, and nothing is written.
CREATE FUNCTION baseline.consume_batch(
    customer_ids text[],
    credit_types text[],
    amounts numeric[],
    idempotency_keys text[] DEFAULT NULL,
    features text[] DEFAULT NULL,
    source_ids text[] DEFAULT NULL,
    occurred_ats timestamptz[] DEFAULT NULL)
RETURNS TABLE (event_index integer, operation_id bigint, amount numeric, balance numeric,
               replayed boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, baseline, pg_temp AS $$
#variable_conflict use_column
DECLARE
    n integer := coalesce(array_length(customer_ids, 1), 0);
    r baseline.operation_result;
BEGIN
    IF customer_ids IS NULL OR credit_types IS NULL OR amounts IS NULL THEN
        RAISE EXCEPTION 'customer_ids, credit_types and amounts must not be NULL'
            USING ERRCODE = '22004';
    END IF;
    IF coalesce(array_length(credit_types, 1), 0) <> n OR coalesce(array_length(amounts, 1), 0) <> n
       OR (idempotency_keys IS NOT NULL AND coalesce(array_length(idempotency_keys, 1), 0) <> n)
       OR (features IS NOT NULL AND coalesce(array_length(features, 1), 0) <> n)
       OR (source_ids IS NOT NULL AND coalesce(array_length(source_ids, 1), 0) <> n)
       OR (occurred_ats IS NOT NULL AND coalesce(array_length(occurred_ats, 1), 0) <> n) THEN
        RAISE EXCEPTION 'the event arrays must have the same length' USING ERRCODE = '22023';
    END IF;
    PERFORM 1
       FROM baseline.wallets wl
      WHERE (wl.customer_id, wl.credit_type) IN
            (SELECT * FROM unnest(customer_ids, credit_types))
      ORDER BY wl.customer_id, wl.credit_type
        FOR UPDATE;
    FOR i IN 1 .. n LOOP
        r := baseline.consume_core(customer_ids[i], credit_types[i], amounts[i], idempotency_keys[i],
                                   features[i], source_ids[i], occurred_ats[i], NULL, false);
        event_index := i;
        operation_id := r.operation_id;
        amount := r.amount;
        balance := r.balance;
        replayed := r.replayed;
        RETURN NEXT;
    END LOOP;
END $$;

-- The same, events as a JSON array of objects with the keys customer_id,
-- credit_type, amount, idempotency_key, feature, source_id, occurred_at.
CREATE FUNCTION baseline.consume_batch(events jsonb)
RETURNS TABLE (event_index integer, operation_id bigint, amount numeric, balance numeric,
               replayed boolean)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, baseline, pg_temp AS $$
    SELECT b.*
      FROM (SELECT array_agg(e.customer_id ORDER BY e.n) AS customer_ids,
                   array_agg(e.credit_type ORDER BY e.n) AS credit_types,
                   array_agg(e.amount ORDER BY e.n) AS amounts,
                   array_agg(e.idempotency_key ORDER BY e.n) AS idempotency_keys,
                   array_agg(e.feature ORDER BY e.n) AS features,
                   array_agg(e.source_id ORDER BY e.n) AS source_ids,
                   array_agg(e.occurred_at ORDER BY e.n) AS occurred_ats
              FROM ROWS FROM (jsonb_to_recordset(events)
                       AS (customer_id text, credit_type text, amount numeric,
                           idempotency_key text, feature text, source_id text,
                           occurred_at timestamptz))
                   WITH ORDINALITY AS e (customer_id, credit_type, amount, idempotency_key,
                                         feature, source_id, occurred_at, n)) a,
           baseline.consume_batch(coalesce(a.customer_ids, '{}'), coalesce(a.credit_types, '{}'),
                                  coalesce(a.amounts, '{}'), a.idempotency_keys, a.features,
                                  a.source_ids, a.occurred_ats) b
$$;

-- ---------------------------------------------------------------- holds
-- Reserves `amount` from the wallet's spendable blocks in drawdown order,
-- exactly as a consume of that amount would draw them; the part no block
-- covers is reserved against the overdraft allowance (LG001, nothing
-- written, when the limit - less what other holds reserve - does not allow
-- it). The available balance drops at once; no entry is written.
CREATE FUNCTION baseline.hold(
    customer_id text,
    credit_type text,
    amount numeric,
    timeout interval DEFAULT '10 minutes',
    idempotency_key text DEFAULT NULL,
    feature text DEFAULT NULL,
    source_id text DEFAULT NULL,
    metadata jsonb DEFAULT NULL)
RETURNS baseline.hold_result LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, baseline, pg_temp AS $$
#variable_conflict use_column
DECLARE
    p_customer_id ALIAS FOR $1;
    p_credit_type ALIAS FOR $2;
    p_amount      ALIAS FOR $3;
    p_timeout     ALIAS FOR $4;
    p_key         ALIAS FOR $5;
    p_feature     ALIAS FOR $6;
    p_source_id   ALIAS FOR $7;
    p_metadata    ALIAS FOR $8;
    v_now     timestamptz := baseline.ledger_now();
    v_expires timestamptz;
    v_key     bytea;
    v_req     bytea;
    v_units   numeric;
    v_left    numeric;
    v_take    numeric;
    v_balance numeric;
    v_op_id   bigint;
    v_hold_id bigint;
    v_ids     bigint[] := '{}';
    v_amounts numeric[] := '{}';
    w         record;
    o         record;
    g         record;
BEGIN
    IF p_customer_id IS NULL OR p_credit_type IS NULL OR p_amount IS NULL OR p_timeout IS NULL THEN
        RAISE EXCEPTION 'customer_id, credit_type, amount and timeout must not be NULL'
            USING ERRCODE = '22004';
    END IF;
    IF p_amount IN ('NaN', 'Infinity', '-Infinity') OR p_amount <= 0 THEN
        RAISE EXCEPTION 'amount must be positive' USING ERRCODE = '22023';
    END IF;
    IF length(p_customer_id) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'customer_id must have 1 to 255 characters' USING ERRCODE = '22023';
    END IF;
    IF p_metadata IS NOT NULL AND jsonb_typeof(p_metadata) <> 'object' THEN
        RAISE EXCEPTION 'metadata must be a JSON object' USING ERRCODE = '22023';
    END IF;
    IF p_timeout <= interval '0' OR p_timeout > interval '31 days' THEN
        RAISE EXCEPTION 'timeout must be more than zero and at most 31 days' USING ERRCODE = '22023';
    END IF;
    -- Elapsed time, as credit_ledger counts it (a day is 24 hours).
    v_expires := v_now + make_interval(secs => extract(epoch FROM p_timeout));

    IF p_key IS NOT NULL THEN
        IF length(p_key) NOT BETWEEN 1 AND 10000 THEN
            RAISE EXCEPTION 'idempotency_key must have 1 to 10000 characters' USING ERRCODE = '22023';
        END IF;
        v_key := sha256(convert_to(p_key, 'UTF8'));
        v_req := sha256(convert_to(row('hold', p_credit_type, trim_scale(p_amount),
                     extract(epoch FROM p_timeout), p_feature, p_source_id, p_metadata)::text, 'UTF8'));
        SELECT op.operation_id, op.operation_type, op.request_hash, op.amount, op.balance INTO o
          FROM baseline.operations op
         WHERE op.customer_id = p_customer_id AND op.key_hash = v_key;
        IF FOUND THEN
            IF o.operation_type <> 'hold' OR o.request_hash IS DISTINCT FROM v_req THEN
                RAISE EXCEPTION 'idempotency key was already used with different parameters'
                    USING ERRCODE = 'LG002';
            END IF;
            RETURN (SELECT (h.hold_id, o.amount, o.balance, h.expires_at, true)::baseline.hold_result
                      FROM baseline.holds h
                     WHERE h.customer_id = p_customer_id AND h.operation_id = o.operation_id);
        END IF;
    END IF;

    SELECT wl.wallet_id, wl.balance, wl.debt, wl.overdraft_limit, wl.last_seq, wl.next_due_at,
           wl.held, wl.held_overdraft, t.scale INTO w
      FROM baseline.wallets wl
      JOIN baseline.credit_types t ON t.credit_type = wl.credit_type
     WHERE wl.customer_id = p_customer_id AND wl.credit_type = p_credit_type
       FOR UPDATE OF wl;
    IF NOT FOUND THEN
        IF NOT EXISTS (SELECT FROM baseline.credit_types t WHERE t.credit_type = p_credit_type) THEN
            RAISE EXCEPTION 'credit type "%" does not exist', p_credit_type USING ERRCODE = 'LG003';
        END IF;
        RAISE EXCEPTION 'insufficient credits' USING ERRCODE = 'LG001';
    END IF;
    IF w.next_due_at <= v_now THEN
        IF v_key IS NOT NULL AND EXISTS (SELECT FROM baseline.operations op
                                          WHERE op.customer_id = p_customer_id AND op.key_hash = v_key) THEN
            RETURN baseline.hold(p_customer_id, p_credit_type, p_amount, p_timeout, p_key, p_feature,
                                 p_source_id, p_metadata);
        END IF;
        PERFORM baseline.catch_up(w.wallet_id, p_customer_id, v_now);
        SELECT wl.wallet_id, wl.balance, wl.debt, wl.overdraft_limit, wl.last_seq, wl.next_due_at,
               wl.held, wl.held_overdraft, t.scale INTO w
          FROM baseline.wallets wl
          JOIN baseline.credit_types t ON t.credit_type = wl.credit_type
         WHERE wl.customer_id = p_customer_id AND wl.credit_type = p_credit_type;
    END IF;
    v_units := baseline.checked_amount(p_amount, w.scale, 'amount');

    -- What a consume of the amount would draw (no debt to repay first: the
    -- wallet never owes while it has spendable credit).
    v_left := v_units;
    FOR g IN
        SELECT gr.grant_id, gr.remaining
          FROM baseline.grants gr
         WHERE gr.wallet_id = w.wallet_id AND gr.customer_id = p_customer_id AND gr.open
           AND gr.entered AND gr.remaining > 0
           AND gr.effective_at <= v_now AND (gr.expires_at IS NULL OR gr.expires_at > v_now)
         ORDER BY gr.priority, gr.expires_at NULLS LAST, gr.promotional DESC, gr.effective_at,
                  gr.grant_id
    LOOP
        EXIT WHEN v_left = 0;
        v_take := least(v_left, g.remaining);
        v_ids := v_ids || g.grant_id;
        v_amounts := v_amounts || v_take;
        v_left := v_left - v_take;
    END LOOP;
    IF v_left > 0 THEN
        IF w.overdraft_limit IS NOT NULL
           AND w.debt + v_left > greatest(0, w.overdraft_limit - w.held_overdraft) THEN
            RAISE EXCEPTION 'insufficient credits' USING ERRCODE = 'LG001';
        END IF;
        v_ids := v_ids || NULL::bigint;
        v_amounts := v_amounts || v_left;
    END IF;

    v_balance := w.balance - w.held - v_units;
    INSERT INTO baseline.operations
        (customer_id, wallet_id, credit_type, operation_type, idempotency_key, key_hash,
         request_hash, amount, balance, first_seq, last_seq, created_at)
    VALUES (p_customer_id, w.wallet_id, p_credit_type, 'hold', p_key, v_key, v_req, v_units,
            v_balance, w.last_seq + 1, w.last_seq, v_now)
    ON CONFLICT (customer_id, key_hash) WHERE key_hash IS NOT NULL DO NOTHING
    RETURNING operation_id INTO v_op_id;
    IF v_op_id IS NULL THEN
        -- A concurrent call with the same key committed first: replay it.
        RETURN baseline.hold(p_customer_id, p_credit_type, p_amount, p_timeout, p_key, p_feature,
                             p_source_id, p_metadata);
    END IF;
    INSERT INTO baseline.holds
        (wallet_id, customer_id, credit_type, amount, status, expires_at, feature, source_id,
         metadata, created_at, reserved_grant_ids, reserved_amounts, operation_id)
    VALUES (w.wallet_id, p_customer_id, p_credit_type, v_units, 'held', v_expires, p_feature,
            p_source_id, p_metadata, v_now, v_ids, v_amounts, v_op_id)
    RETURNING hold_id INTO v_hold_id;
    FOR i IN 1 .. coalesce(array_length(v_ids, 1), 0) LOOP
        CONTINUE WHEN v_ids[i] IS NULL;
        UPDATE baseline.grants gr
           SET remaining = gr.remaining - v_amounts[i], held = gr.held + v_amounts[i]
         WHERE gr.grant_id = v_ids[i] AND gr.customer_id = p_customer_id;
    END LOOP;
    UPDATE baseline.wallets wl
       SET held = wl.held + v_units, held_overdraft = wl.held_overdraft + v_left,
           next_due_at = least(wl.next_due_at, v_expires), updated_at = v_now
     WHERE wl.wallet_id = w.wallet_id AND wl.customer_id = p_customer_id;
    RETURN (v_hold_id, v_units, v_balance, v_expires, false)::baseline.hold_result;
END $$;

-- Locks the wallet of the customer's hold (LG004 when the customer has no
-- such hold), brings it up to now and returns the hold, LG006 unless it can
-- still be captured or released. A replay of p_key found under the lock
-- (only looked for when a catch-up is due) returns NULL.
CREATE FUNCTION baseline.lock_hold(p_customer_id text, p_hold_id bigint, p_now timestamptz,
                                   p_key bytea)
RETURNS baseline.holds LANGUAGE plpgsql AS $$
DECLARE
    h baseline.holds;
    w record;
BEGIN
    SELECT * INTO h FROM baseline.holds hl
     WHERE hl.hold_id = p_hold_id AND hl.customer_id = p_customer_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'hold % does not exist', p_hold_id USING ERRCODE = 'LG004';
    END IF;
    SELECT wl.wallet_id, wl.next_due_at INTO w FROM baseline.wallets wl
     WHERE wl.wallet_id = h.wallet_id AND wl.customer_id = p_customer_id
       FOR UPDATE;
    IF w.next_due_at <= p_now THEN
        IF p_key IS NOT NULL AND EXISTS (SELECT FROM baseline.operations op
                                          WHERE op.customer_id = p_customer_id AND op.key_hash = p_key) THEN
            RETURN NULL;
        END IF;
        PERFORM baseline.catch_up(w.wallet_id, p_customer_id, p_now);
    END IF;
    SELECT * INTO h FROM baseline.holds hl
     WHERE hl.hold_id = p_hold_id AND hl.customer_id = p_customer_id;
    IF h.status IN ('captured', 'released') THEN
        RAISE EXCEPTION 'hold % is already %', p_hold_id, h.status USING ERRCODE = 'LG006';
    END IF;
    IF h.status = 'expired' OR h.expires_at <= p_now THEN
        RAISE EXCEPTION 'hold % has expired', p_hold_id USING ERRCODE = 'LG006';
    END IF;
    RETURN h;
END $$;

-- Turns a hold into usage: `amount` (default: all of it) is consumed from
-- the blocks the hold reserved, in the order reserved, whatever became of
-- them since (so up to the held amount it never fails), the overdraft part
-- drawn like a consume without the limit (admitted at hold time), the rest
-- given back; an excess over the hold is drawn like a consume (LG001 for
-- the whole capture if the limit does not allow it). Labels default to the
-- hold's.
CREATE FUNCTION baseline.capture(
    customer_id text,
    hold_id bigint,
    amount numeric DEFAULT NULL,
    idempotency_key text DEFAULT NULL,
    feature text DEFAULT NULL,
    source_id text DEFAULT NULL,
    occurred_at timestamptz DEFAULT NULL,
    metadata jsonb DEFAULT NULL)
RETURNS baseline.operation_result LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, baseline, pg_temp AS $$
#variable_conflict use_column
DECLARE
    p_customer_id ALIAS FOR $1;
    p_hold_id     ALIAS FOR $2;
    p_amount      ALIAS FOR $3;
    p_key         ALIAS FOR $4;
    p_feature     ALIAS FOR $5;
    p_source_id   ALIAS FOR $6;
    p_occurred_at ALIAS FOR $7;
    p_metadata    ALIAS FOR $8;
    v_now      timestamptz := baseline.ledger_now();
    v_key      bytea;
    v_req      bytea;
    v_wanted   numeric;
    v_left     numeric;
    v_take     numeric;
    v_overdraft numeric := 0;
    v_op_id    bigint;
    v_first    bigint;
    v_occurred timestamptz;
    v_feature  text;
    v_source   text;
    v_metadata jsonb;
    r_ids      bigint[] := '{}';
    r_amounts  numeric[] := '{}';
    h          baseline.holds;
    st         baseline.wstate;
    o          record;
    g          record;
BEGIN
    IF p_customer_id IS NULL OR p_hold_id IS NULL THEN
        RAISE EXCEPTION 'customer_id and hold_id must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF p_amount IN ('NaN', 'Infinity', '-Infinity') OR p_amount <= 0 THEN
        RAISE EXCEPTION 'capture amount must be positive' USING ERRCODE = '22023';
    END IF;
    IF length(p_customer_id) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'customer_id must have 1 to 255 characters' USING ERRCODE = '22023';
    END IF;
    IF p_metadata IS NOT NULL AND jsonb_typeof(p_metadata) <> 'object' THEN
        RAISE EXCEPTION 'metadata must be a JSON object' USING ERRCODE = '22023';
    END IF;
    IF p_occurred_at > v_now + interval '24 hours' THEN
        RAISE EXCEPTION 'occurred_at is too far in the future' USING ERRCODE = '22023';
    END IF;
    IF p_key IS NOT NULL THEN
        IF length(p_key) NOT BETWEEN 1 AND 10000 THEN
            RAISE EXCEPTION 'idempotency_key must have 1 to 10000 characters' USING ERRCODE = '22023';
        END IF;
        v_key := sha256(convert_to(p_key, 'UTF8'));
        v_req := sha256(convert_to(row('capture', p_hold_id, trim_scale(p_amount), p_feature,
                     p_source_id, p_occurred_at, p_metadata)::text, 'UTF8'));
        SELECT op.operation_id, op.operation_type, op.request_hash, op.amount, op.balance INTO o
          FROM baseline.operations op
         WHERE op.customer_id = p_customer_id AND op.key_hash = v_key;
        IF FOUND THEN
            IF o.operation_type <> 'capture' OR o.request_hash IS DISTINCT FROM v_req THEN
                RAISE EXCEPTION 'idempotency key was already used with different parameters'
                    USING ERRCODE = 'LG002';
            END IF;
            RETURN (o.operation_id, o.amount, o.balance, true)::baseline.operation_result;
        END IF;
    END IF;

    h := baseline.lock_hold(p_customer_id, p_hold_id, v_now, v_key);
    IF h.hold_id IS NULL THEN
        RETURN baseline.capture(p_customer_id, p_hold_id, p_amount, p_key, p_feature, p_source_id,
                                p_occurred_at, p_metadata);
    END IF;
    st := baseline.wallet_state(h.wallet_id, p_customer_id, v_now);
    v_wanted := CASE WHEN p_amount IS NULL THEN h.amount
                     ELSE baseline.checked_amount(p_amount, st.scale, 'capture amount') END;
    v_op_id := nextval('baseline.operations_operation_id_seq');
    v_first := st.last_seq + 1;
    v_occurred := coalesce(p_occurred_at, v_now);
    v_feature := coalesce(p_feature, h.feature);
    v_source := coalesce(p_source_id, h.source_id);
    v_metadata := coalesce(p_metadata, h.metadata);

    -- The held credits are used in the order reserved, from the blocks that
    -- reserved them, even if those lapsed since.
    v_left := least(v_wanted, h.amount);
    FOR i IN 1 .. array_length(h.reserved_grant_ids, 1) LOOP
        v_take := least(v_left, h.reserved_amounts[i]);
        v_left := v_left - v_take;
        IF v_take > 0 AND h.reserved_grant_ids[i] IS NOT NULL THEN
            UPDATE baseline.grants gr
               SET held = gr.held - v_take,
                   open = gr.remaining + gr.held - v_take > 0 AND gr.voided_at IS NULL
                          AND gr.expired_at IS NULL
             WHERE gr.grant_id = h.reserved_grant_ids[i] AND gr.customer_id = p_customer_id
            RETURNING gr.cost_basis, gr.promotional INTO g;
            st := baseline.put(st, 'usage', -v_take, h.reserved_grant_ids[i], g.cost_basis,
                               g.promotional, v_op_id, v_occurred, NULL, v_feature, v_source,
                               v_metadata);
        ELSE
            v_overdraft := v_overdraft + v_take;
        END IF;
        IF h.reserved_amounts[i] > v_take THEN
            r_ids := r_ids || h.reserved_grant_ids[i];
            r_amounts := r_amounts || (h.reserved_amounts[i] - v_take);
        END IF;
    END LOOP;
    UPDATE baseline.holds hl SET status = 'captured', captured = v_wanted, closed_at = v_now
     WHERE hl.hold_id = p_hold_id AND hl.customer_id = p_customer_id;
    st := baseline.end_hold(st, h.amount, h.reserved_grant_ids, h.reserved_amounts);
    st := baseline.return_reserved(st, r_ids, r_amounts, v_now, v_op_id, v_occurred, NULL,
                                   v_feature, v_source, v_metadata);
    IF v_overdraft > 0 THEN
        st := baseline.draw(st, v_overdraft, false, v_op_id, v_occurred, v_feature, v_source,
                            v_metadata);
    END IF;
    IF v_wanted > h.amount THEN
        st := baseline.draw(st, v_wanted - h.amount, true, v_op_id, v_occurred, v_feature,
                            v_source, v_metadata);
    END IF;

    INSERT INTO baseline.operations
        (operation_id, customer_id, wallet_id, credit_type, operation_type, idempotency_key,
         key_hash, request_hash, amount, balance, first_seq, last_seq, created_at)
    VALUES (v_op_id, p_customer_id, st.wallet_id, st.credit_type, 'capture', p_key, v_key, v_req,
            v_wanted, st.balance - st.held, v_first, st.last_seq, v_now)
    ON CONFLICT (customer_id, key_hash) WHERE key_hash IS NOT NULL DO NOTHING;
    IF NOT FOUND THEN
        -- The same key, on another wallet of the customer, committed first.
        RAISE EXCEPTION 'a concurrent call used the same idempotency key'
            USING ERRCODE = '40001', HINT = 'Retry: it replays.';
    END IF;
    PERFORM baseline.save_state(st);
    RETURN (v_op_id, v_wanted, st.balance - st.held, false)::baseline.operation_result;
END $$;

-- Gives a hold's credits back (credit back on a live block repays debt;
-- on a lapsed one it leaves at once). Returns what was released.
CREATE FUNCTION baseline.release(customer_id text, hold_id bigint, reason text DEFAULT NULL)
RETURNS numeric LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, baseline, pg_temp AS $$
#variable_conflict use_column
DECLARE
    p_customer_id ALIAS FOR $1;
    p_hold_id     ALIAS FOR $2;
    p_reason      ALIAS FOR $3;
    v_now   timestamptz := baseline.ledger_now();
    v_op_id bigint;
    v_first bigint;
    h       baseline.holds;
    st      baseline.wstate;
BEGIN
    IF p_customer_id IS NULL OR p_hold_id IS NULL THEN
        RAISE EXCEPTION 'customer_id and hold_id must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF length(p_customer_id) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'customer_id must have 1 to 255 characters' USING ERRCODE = '22023';
    END IF;
    h := baseline.lock_hold(p_customer_id, p_hold_id, v_now, NULL);
    st := baseline.wallet_state(h.wallet_id, p_customer_id, v_now);
    v_op_id := nextval('baseline.operations_operation_id_seq');
    v_first := st.last_seq + 1;
    UPDATE baseline.holds hl SET status = 'released', closed_at = v_now
     WHERE hl.hold_id = p_hold_id AND hl.customer_id = p_customer_id;
    st := baseline.end_hold(st, h.amount, h.reserved_grant_ids, h.reserved_amounts);
    st := baseline.return_reserved(st, h.reserved_grant_ids, h.reserved_amounts, v_now, v_op_id,
                                   v_now, p_reason, NULL, NULL, NULL);
    INSERT INTO baseline.operations
        (operation_id, customer_id, wallet_id, credit_type, operation_type, amount, balance,
         first_seq, last_seq, created_at)
    VALUES (v_op_id, p_customer_id, st.wallet_id, st.credit_type, 'release', h.amount,
            st.balance - st.held, v_first, st.last_seq, v_now);
    PERFORM baseline.save_state(st);
    RETURN h.amount;
END $$;

-- ---------------------------------------------------------------- prices
-- From effective_at (default now) one unit of `feature` burns
-- credits_per_unit credits of credit_type; with customer_id, only for that
-- customer. Never changed in place: a new price is a new row.
CREATE FUNCTION baseline.price_set(
    feature text,
    credit_type text,
    credits_per_unit numeric,
    customer_id text DEFAULT NULL,
    effective_at timestamptz DEFAULT NULL,
    rounding text DEFAULT 'up')
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, baseline, pg_temp AS $$
#variable_conflict use_column
DECLARE
    p_feature      ALIAS FOR $1;
    p_credit_type  ALIAS FOR $2;
    p_price        ALIAS FOR $3;
    p_customer_id  ALIAS FOR $4;
    p_effective_at ALIAS FOR $5;
    p_rounding     ALIAS FOR $6;
    v_now   timestamptz := baseline.ledger_now();
    v_price numeric;
    v_id    bigint;
BEGIN
    IF p_feature IS NULL OR p_credit_type IS NULL OR p_price IS NULL THEN
        RAISE EXCEPTION 'feature, credit_type and credits_per_unit must not be null'
            USING ERRCODE = '22004';
    END IF;
    IF length(p_feature) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'feature must have 1 to 255 characters' USING ERRCODE = '22023';
    END IF;
    v_price := baseline.checked_decimal(p_price, 'credits_per_unit');
    IF v_price < 0 THEN
        RAISE EXCEPTION 'credits_per_unit must not be negative' USING ERRCODE = '22023';
    END IF;
    IF length(p_customer_id) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'customer_id must have 1 to 255 characters' USING ERRCODE = '22023';
    END IF;
    IF p_effective_at IN ('infinity', '-infinity') THEN
        RAISE EXCEPTION 'effective_at must be a finite timestamp' USING ERRCODE = '22023';
    END IF;
    IF coalesce(p_rounding, 'up') NOT IN ('up', 'down', 'half_even') THEN
        RAISE EXCEPTION 'rounding must be up, down or half_even' USING ERRCODE = '22023';
    END IF;
    INSERT INTO baseline.prices
        (feature, credit_type, customer_id, credits_per_unit, rounding, effective_at, created_at)
    SELECT p_feature, t.credit_type, p_customer_id, v_price, coalesce(p_rounding, 'up'),
           coalesce(p_effective_at, v_now), v_now
      FROM baseline.credit_types t WHERE t.credit_type = p_credit_type
    RETURNING price_id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'credit type "%" does not exist', p_credit_type USING ERRCODE = 'LG003';
    END IF;
    RETURN v_id;
END $$;

-- quantity x credits_per_unit, exactly, brought to the scale by `rounding`
-- (quantities are positive); 22003 beyond an amount's range.
CREATE FUNCTION baseline.priced_credits(p_quantity numeric, p_price numeric, p_rounding text,
                                        p_scale integer)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    x    numeric := p_quantity * p_price;
    t    numeric := trunc(x, p_scale);
    unit numeric := 10::numeric ^ (-p_scale);
    frac numeric;
BEGIN
    IF x > t THEN
        IF p_rounding = 'up' THEN
            t := t + unit;
        ELSIF p_rounding = 'half_even' THEN
            frac := (x - t) / unit;
            IF frac > 0.5 OR (frac = 0.5 AND mod(round(t / unit), 2) = 1) THEN
                t := t + unit;
            END IF;
        END IF;
    END IF;
    t := round(t, p_scale);
    IF t >= 10::numeric ^ (18 - p_scale) THEN
        RAISE EXCEPTION 'credits is out of range' USING ERRCODE = '22003';
    END IF;
    RETURN t;
END $$;

-- Checks a usage report and prices it with the price in force at
-- occurred_at (default now): the customer's own latest one, else the
-- general one; of two at one instant the later set. LG007 without one.
-- p_probe_own false: the feature has no customer prices (a batch's cache).
CREATE FUNCTION baseline.price_usage(p_customer_id text, p_feature text, p_quantity numeric,
    p_occurred_at timestamptz, p_allow_partial boolean, p_probe_own boolean DEFAULT true)
RETURNS baseline.priced LANGUAGE plpgsql AS $$
DECLARE
    v_now   timestamptz := baseline.ledger_now();
    v_at    timestamptz := coalesce(p_occurred_at, v_now);
    v_q     numeric;
    v_id    bigint;
    v_type  text;
    v_price numeric;
    v_round text;
    v_scale integer;
BEGIN
    IF p_customer_id IS NULL OR p_feature IS NULL OR p_quantity IS NULL OR p_allow_partial IS NULL THEN
        RAISE EXCEPTION 'customer_id, feature, quantity and allow_partial must not be null'
            USING ERRCODE = '22004';
    END IF;
    IF length(p_customer_id) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'customer_id must have 1 to 255 characters' USING ERRCODE = '22023';
    END IF;
    IF length(p_feature) NOT BETWEEN 1 AND 255 THEN
        RAISE EXCEPTION 'feature must have 1 to 255 characters' USING ERRCODE = '22023';
    END IF;
    IF p_occurred_at > v_now + interval '24 hours' THEN
        RAISE EXCEPTION 'occurred_at is too far in the future' USING ERRCODE = '22023';
    END IF;
    IF p_quantity IN ('NaN', 'Infinity', '-Infinity') THEN
        RAISE EXCEPTION 'quantity must be a finite number' USING ERRCODE = '22023';
    END IF;
    IF p_quantity <= 0 THEN
        RAISE EXCEPTION 'quantity must be positive' USING ERRCODE = '22023';
    END IF;
    v_q := baseline.checked_decimal(p_quantity, 'quantity');
    IF p_probe_own THEN
        SELECT pr.price_id, pr.credit_type, pr.credits_per_unit, pr.rounding
          INTO v_id, v_type, v_price, v_round
          FROM baseline.prices pr
         WHERE pr.feature = p_feature AND pr.customer_id = p_customer_id AND pr.effective_at <= v_at
         ORDER BY pr.effective_at DESC, pr.price_id DESC LIMIT 1;
    END IF;
    IF v_id IS NULL THEN
        SELECT pr.price_id, pr.credit_type, pr.credits_per_unit, pr.rounding
          INTO v_id, v_type, v_price, v_round
          FROM baseline.prices pr
         WHERE pr.feature = p_feature AND pr.customer_id IS NULL AND pr.effective_at <= v_at
         ORDER BY pr.effective_at DESC, pr.price_id DESC LIMIT 1;
    END IF;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'no price for feature "%"', p_feature USING ERRCODE = 'LG007';
    END IF;
    SELECT t.scale INTO v_scale FROM baseline.credit_types t WHERE t.credit_type = v_type;
    RETURN (v_type, baseline.priced_credits(v_q, v_price, v_round, v_scale), v_q, v_price,
            v_id)::baseline.priced;
END $$;

-- The request digest of a usage report (a consume operation: one key space
-- with baseline.consume, another fingerprint).
CREATE FUNCTION baseline.usage_request(p_feature text, p_quantity numeric, p_source_id text,
    p_occurred_at timestamptz, p_metadata jsonb, p_allow_partial boolean)
RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(convert_to(row('usage', p_feature, trim_scale(p_quantity), p_source_id,
                                 p_occurred_at, p_metadata, p_allow_partial)::text, 'UTF8'))
$$;

-- Prices `quantity` of `feature` and consumes the credits exactly as
-- baseline.consume would, the feature, quantity and price on its usage
-- entries.
CREATE FUNCTION baseline.report_usage(
    customer_id text,
    feature text,
    quantity numeric,
    idempotency_key text DEFAULT NULL,
    occurred_at timestamptz DEFAULT NULL,
    source_id text DEFAULT NULL,
    metadata jsonb DEFAULT NULL,
    allow_partial boolean DEFAULT false)
RETURNS baseline.operation_result LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, baseline, pg_temp AS $$
DECLARE
    u baseline.priced := baseline.price_usage($1, $2, $3, $5, $8);
BEGIN
    RETURN baseline.consume_core($1, u.credit_type, u.credits, $4, $2, $6, $5, $7, $8,
        CASE WHEN $4 IS NOT NULL THEN baseline.usage_request($2, u.quantity, $6, $5, $7, $8) END,
        u.quantity, u.unit_price, u.price_id);
END $$;

-- Many usage reports in one call (and one transaction), with
-- baseline.consume_batch's rules: every event priced first, then the
-- wallets locked in (customer_id, credit_type) order, then each consumed;
-- one result row per event; any failing event fails the batch. Events: a
-- JSON array of objects with customer_id, feature, quantity and optional
-- idempotency_key, source_id, occurred_at, metadata, allow_partial.
CREATE FUNCTION baseline.report_usage_batch(events jsonb)
RETURNS TABLE (event_index integer, operation_id bigint, amount numeric, balance numeric,
               replayed boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, baseline, pg_temp AS $$
#variable_conflict use_column
DECLARE
    e          record;
    u          baseline.priced;
    r          baseline.operation_result;
    n          integer := 0;
    v_feature  text;
    v_has_own  boolean;
    c_ids      text[] := '{}';
    c_types    text[] := '{}';
    c_credits  numeric[] := '{}';
    c_keys     text[] := '{}';
    c_features text[] := '{}';
    c_sources  text[] := '{}';
    c_times    timestamptz[] := '{}';
    c_metas    jsonb[] := '{}';
    c_partial  boolean[] := '{}';
    c_reqs     bytea[] := '{}';
    c_qs       numeric[] := '{}';
    c_prices   numeric[] := '{}';
    c_pids     bigint[] := '{}';
BEGIN
    IF events IS NULL THEN
        RAISE EXCEPTION 'events must not be null' USING ERRCODE = '22004';
    END IF;
    IF jsonb_typeof(events) <> 'array' THEN
        RAISE EXCEPTION 'events must be a JSON array' USING ERRCODE = '22023';
    END IF;
    FOR e IN
        SELECT * FROM jsonb_to_recordset(events)
            AS x (customer_id text, feature text, quantity numeric, idempotency_key text,
                  source_id text, occurred_at timestamptz, metadata jsonb, allow_partial boolean)
    LOOP
        -- Whether the feature has any customer's own price, once per feature.
        IF e.feature IS DISTINCT FROM v_feature THEN
            v_feature := e.feature;
            v_has_own := EXISTS (SELECT FROM baseline.prices pr
                                  WHERE pr.feature = e.feature AND pr.customer_id IS NOT NULL);
        END IF;
        u := baseline.price_usage(e.customer_id, e.feature, e.quantity, e.occurred_at,
                                  coalesce(e.allow_partial, false), v_has_own);
        n := n + 1;
        c_ids[n] := e.customer_id;
        c_types[n] := u.credit_type;
        c_credits[n] := u.credits;
        c_keys[n] := e.idempotency_key;
        c_features[n] := e.feature;
        c_sources[n] := e.source_id;
        c_times[n] := e.occurred_at;
        c_metas[n] := e.metadata;
        c_partial[n] := coalesce(e.allow_partial, false);
        IF e.idempotency_key IS NOT NULL THEN
            c_reqs[n] := baseline.usage_request(e.feature, u.quantity, e.source_id, e.occurred_at,
                                                e.metadata, c_partial[n]);
        END IF;
        c_qs[n] := u.quantity;
        c_prices[n] := u.unit_price;
        c_pids[n] := u.price_id;
    END LOOP;
    PERFORM 1
       FROM baseline.wallets wl
      WHERE (wl.customer_id, wl.credit_type) IN (SELECT * FROM unnest(c_ids, c_types))
      ORDER BY wl.customer_id, wl.credit_type
        FOR UPDATE;
    FOR i IN 1 .. n LOOP
        r := baseline.consume_core(c_ids[i], c_types[i], c_credits[i], c_keys[i], c_features[i],
                                   c_sources[i], c_times[i], c_metas[i], c_partial[i], c_reqs[i],
                                   c_qs[i], c_prices[i], c_pids[i]);
        event_index := i;
        operation_id := r.operation_id;
        amount := r.amount;
        balance := r.balance;
        replayed := r.replayed;
        RETURN NEXT;
    END LOOP;
END $$;
