// The npm MLflow client (mlflow 2.0.7) against a Kiln server with --auth, signed in as the user named by
// MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD (MLflow's variables; this client takes headers, so they become
// a basic Authorization header here). Usage: node permissions.js ENDPOINT EXPERIMENT_ID
// EXPERIMENT_ID is someone else's experiment on which the user has READ. Without the variables the script checks
// that the server answers 401. The outcome is the last line, prefixed "RESULT ".
'use strict';
const assert = require('node:assert/strict');
const MLflow = require('mlflow');

function apiError(error) {
  return JSON.parse(error.message.replace(/^Error: /, ''));
}

async function refused(promise, status, errorCode) {
  try {
    await promise;
  } catch (error) {
    const { status: actual, data } = apiError(error);
    assert.equal(actual, status, JSON.stringify(data));
    assert.equal(data.error_code, errorCode);
    return;
  }
  assert.fail(`expected ${status} ${errorCode}`);
}

async function main(endpoint, experimentId) {
  const { MLFLOW_TRACKING_USERNAME: user, MLFLOW_TRACKING_PASSWORD: password } = process.env;
  const headers = user ? { Authorization: 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64') } : {};
  const { Experiments, Runs } = new MLflow({ endpoint, headers });
  if (!user) {
    await refused(Experiments.get({ experiment_id: experimentId }), 401, 'UNAUTHENTICATED');
    return { ok: true };
  }

  // READ on someone else's experiment: it can be read, not written to.
  const { experiment } = await Experiments.get({ experiment_id: experimentId });
  assert.equal(experiment.experiment_id, experimentId);
  await refused(Runs.create({ experiment_id: experimentId, start_time: Date.now() }), 403, 'PERMISSION_DENIED');
  // (setExperimentTag is broken in this client version: it drops the slash before the path.)
  await refused(Experiments.update({ experiment_id: experimentId, new_name: `taken-${Date.now()}` }), 403, 'PERMISSION_DENIED');
  await refused(Experiments.delete({ experiment_id: experimentId }), 403, 'PERMISSION_DENIED');

  // Its own experiment: the creator manages it.
  const { experiment_id: own } = await Experiments.create({ name: `js-perm-${Date.now()}-${Math.floor(Math.random() * 1e6)}` });
  const { run } = await Runs.create({ experiment_id: own, start_time: Date.now() });
  await Runs.logMetric({ run_id: run.info.run_id, key: 'auc', value: 0.9, timestamp: Date.now(), step: 0 });
  await Experiments.delete({ experiment_id: own });
  return { ok: true, own, run_id: run.info.run_id };
}

main(process.argv[2], process.argv[3]).then(
  (result) => console.log('RESULT ' + JSON.stringify(result)),
  (error) => {
    console.error(error);
    console.log('RESULT ' + JSON.stringify({ ok: false, error: String(error) }));
    process.exitCode = 1;
  },
);
