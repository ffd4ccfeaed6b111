// Drives a Kiln server through the real MLflow client for Node.js (npm "mlflow" 2.0.7):
// experiment -> run -> params, metrics, batch -> tags -> filtered search -> registered model ->
// model version -> stage -> alias -> copy through a models:/ source. Usage: node flow.js http://127.0.0.1:5000
// The client logs request bodies to stdout; the outcome is the last line, prefixed "RESULT ".
'use strict';
const assert = require('node:assert/strict');
const MLflow = require('mlflow');
const { MLflowBase } = require('mlflow/lib/mlflow');
const { RunStatus, ViewType } = require('mlflow/enum');

// The client has no registry classes; its base class speaks to any MLflow path the same way.
class RegisteredModels extends MLflowBase {
  constructor(args) { super(args); this.path = '/registered-models'; }
}
class ModelVersions extends MLflowBase {
  constructor(args) { super(args); this.path = '/model-versions'; }
}

/** The client throws Error("Error: {status, statusText, data}"); this returns that object. */
function apiError(error) {
  return JSON.parse(error.message.replace(/^Error: /, ''));
}

async function main(endpoint) {
  const client = new MLflow({ endpoint });
  const { Experiments, Runs, Metrics, Artifacts } = client;
  const suffix = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

  const name = `js-client-${suffix}`;
  const { experiment_id } = await Experiments.create({ name });
  const { experiment } = await Experiments.get({ experiment_id });
  assert.equal(experiment.name, name);
  const { experiments } = await Experiments.list({ view_type: ViewType.ACTIVE_ONLY });
  assert.ok(experiments.some((e) => e.experiment_id === experiment_id), 'experiments/list shows the new experiment');

  const now = Date.now();
  const { run } = await Runs.create({ experiment_id, start_time: now, tags: [{ key: 'mlflow.runName', value: 'js-good' }] });
  const run_id = run.info.run_id;
  assert.equal(run.info.status, RunStatus.RUNNING);
  assert.equal(run.info.run_name, 'js-good');

  await Runs.logParameter({ run_id, key: 'learning_rate', value: '0.05' });
  await Runs.logMetric({ run_id, key: 'auc', value: 0.91, timestamp: now, step: 0 });
  await Runs.logMetric({ run_id, key: 'auc', value: 0.95, timestamp: now + 1, step: 1 });
  await Runs.logBatch({
    run_id,
    metrics: [
      { key: 'loss', value: 0.4, timestamp: now, step: 0 },
      { key: 'loss', value: 0.2, timestamp: now + 1, step: 1 },
    ],
    params: [{ key: 'max_depth', value: '6' }],
    tags: [{ key: 'framework', value: 'xgboost' }],
  });
  await Runs.setTag({ run_id, key: 'team', value: 'js' });

  const { run: weak } = await Runs.create({ experiment_id, start_time: now, tags: [{ key: 'mlflow.runName', value: 'js-weak' }] });
  await Runs.logBatch({
    run_id: weak.info.run_id,
    metrics: [{ key: 'auc', value: 0.7, timestamp: now, step: 0 }],
    params: [{ key: 'learning_rate', value: '0.05' }],
  });

  const { runs } = await Runs.search({
    experiment_ids: [experiment_id],
    filter: "metrics.auc > 0.9 and params.learning_rate = '0.05'",
    run_view_type: ViewType.ACTIVE_ONLY,
    max_results: 10,
    order_by: ['metrics.auc DESC'],
  });
  assert.equal(runs.length, 1, 'the filter keeps only the good run');
  assert.equal(runs[0].info.run_id, run_id);
  const tags = Object.fromEntries(runs[0].data.tags.map((t) => [t.key, t.value]));
  assert.equal(tags.team, 'js');
  assert.equal(tags.framework, 'xgboost');

  const history = await Metrics.getHistory({ run_id, metric_key: 'auc' });
  assert.deepEqual(history.metrics.map((m) => m.value), [0.91, 0.95]);

  const fetched = await Runs.get({ run_id });
  const params = Object.fromEntries(fetched.run.data.params.map((p) => [p.key, p.value]));
  assert.deepEqual(params, { learning_rate: '0.05', max_depth: '6' });

  await Runs.update({ run_id, status: RunStatus.FINISHED, end_time: Date.now() });
  const listing = await Artifacts.list({ run_id });
  assert.equal(listing.root_uri, run.info.artifact_uri);

  await Runs.deleteTag({ run_id, key: 'team' });
  await assert.rejects(() => Runs.logParameter({ run_id, key: 'learning_rate', value: '0.5' }), (e) => {
    const { status, data } = apiError(e);
    return status === 400 && data.error_code === 'INVALID_PARAMETER_VALUE';
  });
  await assert.rejects(() => Experiments.create({ name }), (e) => apiError(e).data.error_code === 'RESOURCE_ALREADY_EXISTS');

  const models = new RegisteredModels({ endpoint });
  const versions = new ModelVersions({ endpoint });
  const modelName = `js-model-${suffix}`;
  await models.req('post', '/create', { name: modelName, description: 'registered by the Node client' });
  const { model_version } = await versions.req('post', '/create', { name: modelName, source: `runs:/${run_id}/model`, run_id });
  assert.equal(model_version.version, '1');
  const staged = await versions.req('post', '/transition-stage', { name: modelName, version: '1', stage: 'Staging', archive_existing_versions: false });
  assert.equal(staged.model_version.current_stage, 'Staging');
  await models.req('post', '/alias', { name: modelName, alias: 'champion', version: '1' });
  const byAlias = await models.req('get', '/alias', { name: modelName, alias: 'champion' });
  assert.equal(byAlias.model_version.current_stage, 'Staging');
  assert.deepEqual(byAlias.model_version.aliases, ['champion']);
  const { registered_model } = await models.req('get', '/get', { name: modelName });
  assert.equal(registered_model.latest_versions[0].version, '1');

  // copy_model_version's calls: the copy's source is the models:/ URI, its files stay where the source
  // version's are, even once the source model is renamed and deleted.
  const sourceName = `js-source-${suffix}`;
  const copyName = `js-copy-${suffix}`;
  await models.req('post', '/create', { name: sourceName });
  await versions.req('post', '/create', { name: sourceName, source: `runs:/${run_id}/model`, run_id });
  await models.req('post', '/create', { name: copyName });
  const copied = await versions.req('post', '/create', { name: copyName, source: `models:/${sourceName}/1`, run_id });
  assert.equal(copied.model_version.source, `models:/${sourceName}/1`);
  await models.req('post', '/rename', { name: sourceName, new_name: `${sourceName}-old` });
  await models.req('delete', '/delete', { name: `${sourceName}-old` });
  const download = await versions.req('get', '/get-download-uri', { name: copyName, version: '1' });
  assert.equal(download.artifact_uri, `${run.info.artifact_uri}/model`);
  await assert.rejects(() => versions.req('post', '/create', { name: copyName, source: `models:/${sourceName}-old/1` }),
    (e) => apiError(e).status === 404 && apiError(e).data.error_code === 'RESOURCE_DOES_NOT_EXIST');

  return { experiment_id, run_id, model: modelName, version: model_version.version, copy: copyName };
}

main(process.argv[2] || 'http://127.0.0.1:5000')
  .then((result) => {
    console.log('RESULT ' + JSON.stringify({ ok: true, ...result }));
  })
  .catch((error) => {
    console.log('RESULT ' + JSON.stringify({ ok: false, error: String(error && error.stack || error) }));
    process.exit(1);
  });
