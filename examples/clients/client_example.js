#!/usr/bin/env node
// Using credit_ledger from a Node.js application (node-postgres, `pg`).
//
// Runnable, and it checks what it shows (exit status 0 only if every check
// holds):
//
//   (a) a business write (an order row) and credit_consume commit together in
//       one transaction, and roll back together when the business write fails;
//   (b) retrying a unit of work with the same idempotency key after the
//       connection dropped
//         - before COMMIT (the backend is killed with pg_terminate_backend):
//           nothing was written, the retry applies once (replayed = false);
//         - after COMMIT, before the client read the answer (a proxy between
//           client and server loses the reply, as a network or pooler failure
//           would): the retry returns the original result (replayed = true);
//       either way the customer is charged exactly once;
//   (c) the hard limit: credit_consume raises SQLSTATE LG001, caught by its
//       SQLSTATE (err.code), with the transaction rolled back or a savepoint
//       keeping the rest of it.
//
//   npm ci && node client_example.js     # connects with libpq's PG* variables
//
// node-postgres returns numeric as strings ("70.00"): exact, never floats.
// The database needs the credit_ledger extension; the example creates the
// credit type 'usd' if missing, a table example_orders, and customers of its
// own.
'use strict';

const crypto = require('node:crypto');
const net = require('node:net');
const { Client } = require('pg');

const RUN = crypto.randomBytes(4).toString('hex');

function check(condition, what) {
  if (!condition) {
    console.log(`not ok - ${what}`);
    process.exit(1);
  }
}
const ok = (what) => console.log(`ok - ${what}`);

async function connect(config = {}) {
  const client = new Client(config);
  // A server-side termination arrives as an 'error' event on an idle client:
  // without a listener, Node would crash the process.
  client.on('error', (err) => console.log(`# connection error event: ${err.message}`));
  await client.connect();
  return client;
}

async function setup(db) {
  await db.query('BEGIN');
  const { rowCount } = await db.query(
    "SELECT 1 FROM credit_ledger.credit_types WHERE credit_type = 'usd'");
  if (rowCount === 0) await db.query("SELECT credit_type_create('usd', 2)");
  await db.query(`CREATE TABLE IF NOT EXISTS example_orders (
      order_id    text PRIMARY KEY,
      customer_id text NOT NULL,
      credits     numeric NOT NULL,
      status      text NOT NULL DEFAULT 'paid')`);
  await db.query('COMMIT');
}

async function balance(db, customer) {
  const { rows } = await db.query("SELECT credit_balance($1, 'usd') AS b", [customer]);
  return rows[0].b;
}

async function orders(db, customer) {
  const { rows } = await db.query(
    'SELECT count(*)::int AS n FROM example_orders WHERE customer_id = $1', [customer]);
  return rows[0].n;
}

async function newCustomer(db, credits) {
  const customer = `js-${RUN}-${crypto.randomBytes(3).toString('hex')}`;
  await db.query("SELECT credit_grant($1, 'usd', $2)", [customer, credits]);
  return customer;
}

// The unit of work: record the order and charge for it, atomically. Safe to
// run again after any failure: the insert does nothing if the order exists,
// and the consume is keyed by the order, so a retry never charges twice.
async function placeOrder(client, customer, orderId, credits, beforeCommit = async () => {}) {
  await client.query('BEGIN');
  try {
    await client.query(
      `INSERT INTO example_orders (order_id, customer_id, credits)
       VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING`, [orderId, customer, credits]);
    const { rows } = await client.query(
      `SELECT * FROM credit_consume($1, 'usd', $2, idempotency_key => $3,
                                    feature => 'orders', source_id => $4)`,
      [customer, credits, `order:${orderId}`, orderId]);
    await beforeCommit();
    await client.query('COMMIT');
    return rows[0];
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {}); // the connection may be gone
    throw err;
  }
}

// ---------------------------------------------------------------------------
// (a) one transaction

async function demoTransaction(db) {
  const customer = await newCustomer(db, 100);
  const result = await placeOrder(db, customer, `${customer}-1`, '30.00');
  check(result.balance === '70.00' && result.replayed === false,
    'consume returned the new balance');
  check(await orders(db, customer) === 1 && await balance(db, customer) === '70.00',
    'order and charge committed together');
  ok('(a) order insert and credit_consume commit together');

  // The business write fails after the consume: both roll back.
  let failed = false;
  await db.query('BEGIN');
  try {
    await db.query("SELECT credit_consume($1, 'usd', 20, idempotency_key => 'dup')", [customer]);
    await db.query(`INSERT INTO example_orders (order_id, customer_id, credits)
                    VALUES ($1, $2, 20)`, [`${customer}-1`, customer]); // duplicate
    await db.query('COMMIT');
  } catch (err) {
    await db.query('ROLLBACK');
    failed = err.code === '23505';
  }
  check(failed, 'the duplicate order failed with 23505');
  check(await balance(db, customer) === '70.00' && await orders(db, customer) === 1,
    'a failed business write undoes the consume');
  const { rows } = await db.query(
    "SELECT replayed FROM credit_consume($1, 'usd', 20, idempotency_key => 'dup')", [customer]);
  check(rows[0].replayed === false && await balance(db, customer) === '50.00',
    'the rolled-back key is still unused');
  ok('(a) a failed business write rolls the consume back with it');
}

// ---------------------------------------------------------------------------
// (b) retry after a dropped connection

// A TCP proxy on 127.0.0.1 in front of the server that can lose the server's
// next reply: after loseNextReply(), the client's next message is passed on,
// and when the server answers, both connections are closed instead. The
// server has done the work; the client only sees the connection die.
function startLossyProxy(upstream) {
  let armed = false;
  const server = net.createServer((client) => {
    const db = net.connect(upstream);
    let drop = false;
    client.on('data', (chunk) => {
      if (armed) { armed = false; drop = true; }
      db.write(chunk);
    });
    db.on('data', (chunk) => {
      if (drop) { client.destroy(); db.destroy(); return; } // the reply is lost
      client.write(chunk);
    });
    client.on('close', () => db.destroy());
    db.on('close', () => client.destroy());
    client.on('error', () => {});
    db.on('error', () => {});
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      loseNextReply: () => { armed = true; },
      close: () => server.close(),
    }));
  });
}

function upstreamOf(client) {
  return client.host.startsWith('/')
    ? { path: `${client.host}/.s.PGSQL.${client.port}` }
    : { host: client.host, port: client.port };
}

async function demoRetry(db) {
  // Before COMMIT: the backend is terminated while the transaction is open.
  let customer = await newCustomer(db, 100);
  let orderId = `${customer}-1`;
  const victim = await connect();
  const pid = (await victim.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  let error = null;
  try {
    await placeOrder(victim, customer, orderId, '40.00', async () => {
      await db.query('SELECT pg_terminate_backend($1, 5000)', [pid]);
    });
  } catch (err) {
    error = err;
  }
  await victim.end().catch(() => {});
  check(error !== null, 'COMMIT failed');
  console.log(`# COMMIT failed: ${error.code || ''} ${error.message}`);
  check(await orders(db, customer) === 0 && await balance(db, customer) === '100.00',
    'nothing committed before the connection died');
  let retry = await connect();
  let result = await placeOrder(retry, customer, orderId, '40.00');
  await retry.end();
  check(result.replayed === false && result.balance === '60.00',
    'the retry applied the consume (first try rolled back)');
  check(await orders(db, customer) === 1 && await balance(db, customer) === '60.00',
    'charged exactly once');
  ok('(b) connection killed before COMMIT: the retry applies once (replayed = false)');

  // After COMMIT: the server committed, the reply never reached the client.
  customer = await newCustomer(db, 100);
  orderId = `${customer}-1`;
  const proxy = await startLossyProxy(upstreamOf(db));
  const proxied = await connect({ host: '127.0.0.1', port: proxy.port, ssl: false });
  let first = null;
  error = null;
  try {
    first = await placeOrder(proxied, customer, orderId, '40.00', async () => proxy.loseNextReply());
  } catch (err) {
    error = err;
  }
  await proxied.end().catch(() => {});
  proxy.close();
  check(first === null && error !== null, 'the client never learnt the outcome');
  console.log(`# COMMIT failed with a connection error: ${error.message}`);
  // In doubt, the application retries the whole unit of work.
  retry = await connect();
  result = await placeOrder(retry, customer, orderId, '40.00');
  await retry.end();
  check(result.replayed === true && result.balance === '60.00',
    'the retry replayed the committed consume');
  check(await orders(db, customer) === 1 && await balance(db, customer) === '60.00',
    'charged exactly once');
  const ops = await db.query(
    `SELECT count(*)::int AS n FROM credit_ledger.operations
      WHERE customer_id = $1 AND operation_type = 'consume'`, [customer]);
  check(ops.rows[0].n === 1, 'one consume operation in the ledger');
  ok('(b) reply lost after COMMIT: the retry returns replayed = true, charged once');
}

// ---------------------------------------------------------------------------
// (c) the hard limit

async function demoHardLimit(db) {
  const customer = await newCustomer(db, 10);
  let caught = false;
  try {
    await placeOrder(db, customer, `${customer}-big`, '25.00');
  } catch (err) {
    if (err.code !== 'LG001') throw err;
    caught = true;
    console.log(`# LG001: ${err.message} (${err.detail})`);
  }
  check(caught, 'LG001 raised');
  check(await orders(db, customer) === 0 && await balance(db, customer) === '10.00',
    'nothing written: the order rolled back with the failed consume');
  ok('(c) insufficient credits raise LG001 and the transaction rolls back');

  // Or keep the transaction: the consume in a savepoint, the order recorded
  // as needing payment.
  await db.query('BEGIN');
  await db.query(`INSERT INTO example_orders (order_id, customer_id, credits)
                  VALUES ($1, $2, 25)`, [`${customer}-big`, customer]);
  await db.query('SAVEPOINT charge');
  try {
    await db.query("SELECT credit_consume($1, 'usd', 25)", [customer]);
    await db.query('RELEASE SAVEPOINT charge');
  } catch (err) {
    if (err.code !== 'LG001') { await db.query('ROLLBACK'); throw err; }
    await db.query('ROLLBACK TO SAVEPOINT charge');
    await db.query("UPDATE example_orders SET status = 'payment_required' WHERE order_id = $1",
      [`${customer}-big`]);
  }
  await db.query('COMMIT');
  const { rows } = await db.query(
    'SELECT status FROM example_orders WHERE customer_id = $1', [customer]);
  check(rows[0].status === 'payment_required' && await balance(db, customer) === '10.00',
    'order kept as payment_required, nothing charged');
  ok('(c) LG001 caught in a savepoint keeps the rest of the transaction');
}

async function main() {
  const db = await connect();
  try {
    await setup(db);
    await demoTransaction(db);
    await demoRetry(db);
    await demoHardLimit(db);
  } finally {
    await db.end();
  }
}

main().catch((err) => {
  console.log(`not ok - unexpected error: ${err.code || ''} ${err.stack}`);
  process.exit(1);
});
