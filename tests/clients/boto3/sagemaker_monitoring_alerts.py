"""Model Monitor's alerts and metric series through boto3 and Kiln's HTTP: a data quality schedule over drifted
traffic puts baseline-drift-check (the alert on baseline_drift_check) InAlert, the change lands in the alert history, UpdateMonitoringAlert re-evaluates,
and /api/kiln/monitoring-schedules/{name}/metrics and /report show the series.
Usage: python3 sagemaker_monitoring_alerts.py <endpoint_url> <test_name>
"""
import datetime
import json
import time
import urllib.error
import urllib.request
import uuid

from kiln_boto import client, main
import sagemaker_hosting as hosting
import sagemaker_model_monitor as monitor
import sagemaker_monitoring as monitoring

BUCKET = monitoring.BUCKET
# One alert per data quality check type; alert names allow no underscores, so baseline_drift_check is baseline-drift-check.
DATA_QUALITY_ALERTS = {"data-type-check", "completeness-check", "baseline-drift-check", "missing-column-check",
                       "extra-column-check", "categorical-values-check"}


def drifted_schedule(sm, s3, runtime, run_id):
    """The setup of sagemaker_model_monitor's test: a baseline on the training features, then only shifted traffic."""
    prefix = f"s3://{BUCKET}/{run_id}"
    endpoint_name = monitor.churn_endpoint(sm, s3, monitor.capture_config(prefix))
    header, train, validation = hosting.churn_split()
    features = [h for h in header if h != "churn"]
    s3.put_object(Bucket=BUCKET, Key=f"{run_id}/train/features.csv", Body=hosting.to_csv(hosting.feature_rows(train, header)))
    environment = monitoring.analyzer_environment()
    environment["dataset_format"] = json.dumps({"csv": {"header": False}})
    baseline = monitoring.run(sm, f"baseline-{run_id}", monitor.ANALYZER,
                              [monitoring.s3_input("baseline_dataset_input", f"{prefix}/train", "/opt/ml/processing/input/baseline_dataset_input")],
                              f"{prefix}/baseline", environment)
    assert baseline["ProcessingJobStatus"] == "Completed", baseline
    definition = f"dq-{run_id}"
    monitor.job_definition(sm, definition, endpoint_name, prefix)

    column = features.index(monitor.SHIFTED)
    shifted = [row[:column] + [str(float(row[column]) * 5 + 300)] + row[column + 1:] for row in hosting.feature_rows(validation, header)]
    monitor.invoke_all(s3, runtime, run_id, endpoint_name, shifted, len(shifted))
    schedule = f"drifted-{run_id}"
    monitor.schedule_now(sm, schedule, definition)
    execution = monitor.finished_execution(sm, schedule)
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations", execution
    return schedule, f"_c{column}"


def alerts_of(sm, schedule):
    return {a["MonitoringAlertName"]: a for a in sm.list_monitoring_alerts(MonitoringScheduleName=schedule)["MonitoringAlertSummaries"]}


def alert_status(sm, schedule, alert, expected, timeout=30):
    """The listener records an execution just after its end is stored, so the alert may lag the execution briefly."""
    deadline = time.time() + timeout
    while True:
        alerts = alerts_of(sm, schedule)
        if alerts[alert]["AlertStatus"] == expected or time.time() > deadline:
            return alerts
        time.sleep(0.5)


def http_get(endpoint, path):
    try:
        with urllib.request.urlopen(f"{endpoint}{path}") as response:
            return response.status, response.headers.get("Content-Type", ""), response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def test_drift_raises_an_alert_with_history_series_and_report(endpoint):
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    schedule, drifted_feature = drifted_schedule(sm, s3, runtime, run_id)

    alerts = alert_status(sm, schedule, "baseline-drift-check", "InAlert")
    assert set(alerts) == DATA_QUALITY_ALERTS, alerts
    drift = alerts["baseline-drift-check"]
    assert drift["AlertStatus"] == "InAlert", drift
    assert (drift["DatapointsToAlert"], drift["EvaluationPeriod"]) == (1, 1), drift
    assert drift["Actions"]["ModelDashboardIndicator"]["Enabled"] is True, drift
    assert alerts["missing-column-check"]["AlertStatus"] == "OK", alerts

    history = sm.list_monitoring_alert_history(MonitoringScheduleName=schedule, MonitoringAlertName="baseline-drift-check")["MonitoringAlertHistory"]
    assert [(h["MonitoringScheduleName"], h["MonitoringAlertName"], h["AlertStatus"]) for h in history] == [(schedule, "baseline-drift-check", "InAlert")], history
    assert sm.list_monitoring_alert_history(MonitoringScheduleName=schedule, MonitoringAlertName="baseline-drift-check", StatusEquals="OK")["MonitoringAlertHistory"] == []
    later = history[0]["CreationTime"] + datetime.timedelta(seconds=1)
    assert sm.list_monitoring_alert_history(MonitoringScheduleName=schedule, MonitoringAlertName="baseline-drift-check",
                                            CreationTimeAfter=later)["MonitoringAlertHistory"] == []
    assert len(sm.list_monitoring_alert_history(MonitoringScheduleName=schedule, MonitoringAlertName="baseline-drift-check",
                                                CreationTimeBefore=later)["MonitoringAlertHistory"]) == 1

    hosting.expect_error(lambda: sm.update_monitoring_alert(MonitoringScheduleName=schedule, MonitoringAlertName="baseline-drift-check",
                                                            DatapointsToAlert=2, EvaluationPeriod=1), "ValidationException", 400, "DatapointsToAlert")
    hosting.expect_error(lambda: sm.update_monitoring_alert(MonitoringScheduleName=schedule, MonitoringAlertName="no-such-check",
                                                            DatapointsToAlert=1, EvaluationPeriod=1), "ResourceNotFound", 400)
    hosting.expect_error(lambda: sm.update_monitoring_alert(MonitoringScheduleName=f"none-{run_id}", MonitoringAlertName="baseline-drift-check",
                                                            DatapointsToAlert=1, EvaluationPeriod=1), "ResourceNotFound", 400)
    hosting.expect_error(lambda: sm.list_monitoring_alerts(MonitoringScheduleName=f"none-{run_id}"), "ResourceNotFound", 400)
    assert alerts_of(sm, schedule)["baseline-drift-check"]["DatapointsToAlert"] == 1

    # Two violating executions of two are now needed and there is one: the alert goes back to OK, and says so in its history.
    updated = sm.update_monitoring_alert(MonitoringScheduleName=schedule, MonitoringAlertName="baseline-drift-check", DatapointsToAlert=2, EvaluationPeriod=2)
    assert updated["MonitoringScheduleArn"].endswith(f":monitoring-schedule/{schedule}") and updated["MonitoringAlertName"] == "baseline-drift-check", updated
    drift = alerts_of(sm, schedule)["baseline-drift-check"]
    assert (drift["AlertStatus"], drift["DatapointsToAlert"], drift["EvaluationPeriod"]) == ("OK", 2, 2), drift
    history = sm.list_monitoring_alert_history(MonitoringScheduleName=schedule, MonitoringAlertName="baseline-drift-check",
                                              SortBy="CreationTime", SortOrder="Ascending")["MonitoringAlertHistory"]
    assert [h["AlertStatus"] for h in history] == ["InAlert", "OK"], history
    newest = sm.list_monitoring_alert_history(MonitoringAlertName="baseline-drift-check", MonitoringScheduleName=schedule, SortOrder="Descending", MaxResults=1)
    assert [h["AlertStatus"] for h in newest["MonitoringAlertHistory"]] == ["OK"] and "NextToken" in newest, newest

    status, kind, body = http_get(endpoint, f"/api/kiln/monitoring-schedules/{schedule}/metrics")
    assert status == 200 and kind.startswith("application/json"), (status, kind, body)
    metrics = json.loads(body)["metrics"]
    distance = metrics[f"{drifted_feature}.drift_distance"]
    assert len(distance) == 1 and distance[0]["violated"] is True and distance[0]["value"] > 0, distance
    assert metrics["_c0.completeness"][0]["violated"] is False and metrics["_c0.completeness"][0]["value"] == 1.0, metrics["_c0.completeness"]
    assert "scheduledTime" in distance[0]

    status, kind, body = http_get(endpoint, f"/api/kiln/monitoring-schedules/{schedule}/report")
    assert status == 200 and kind.startswith("text/html"), (status, kind)
    assert "<svg" in body and 'fill="red"' in body and "baseline_drift_check" in body, body[:500]

    status, _, body = http_get(endpoint, f"/api/kiln/monitoring-schedules/none-{run_id}/metrics")
    assert status == 404 and "error" in json.loads(body), (status, body)
    status, _, body = http_get(endpoint, f"/api/kiln/monitoring-schedules/none-{run_id}/report")
    assert status == 404 and "error" in json.loads(body), (status, body)


def test_deleting_a_schedule_forgets_its_alerts_history_and_series(endpoint):
    sm, s3, runtime = client("sagemaker", endpoint), client("s3", endpoint), client("sagemaker-runtime", endpoint)
    monitoring.ensure_bucket(s3)
    run_id = uuid.uuid4().hex[:6]
    schedule, _ = drifted_schedule(sm, s3, runtime, run_id)
    assert alert_status(sm, schedule, "baseline-drift-check", "InAlert")["baseline-drift-check"]["AlertStatus"] == "InAlert"
    history = sm.list_monitoring_alert_history(MonitoringScheduleName=schedule)["MonitoringAlertHistory"]
    assert ("baseline-drift-check", "InAlert") in [(h["MonitoringAlertName"], h["AlertStatus"]) for h in history], history
    status, _, body = http_get(endpoint, f"/api/kiln/monitoring-schedules/{schedule}/metrics")
    assert status == 200 and json.loads(body)["metrics"], (status, body)
    definition = sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]

    sm.delete_monitoring_schedule(MonitoringScheduleName=schedule)
    hosting.expect_error(lambda: sm.list_monitoring_alerts(MonitoringScheduleName=schedule), "ResourceNotFound", 400)
    hosting.expect_error(lambda: sm.list_monitoring_alert_history(MonitoringScheduleName=schedule), "ResourceNotFound", 400)
    assert [h for h in sm.list_monitoring_alert_history()["MonitoringAlertHistory"] if h["MonitoringScheduleName"] == schedule] == []
    status, _, body = http_get(endpoint, f"/api/kiln/monitoring-schedules/{schedule}/metrics")
    assert status == 404 and "error" in json.loads(body), (status, body)

    # The same name again (hourly, so nothing runs during the test): no alert fired, no history, no series.
    sm.create_monitoring_schedule(MonitoringScheduleName=schedule, MonitoringScheduleConfig={
        "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": definition, "MonitoringType": "DataQuality"})
    alerts = alerts_of(sm, schedule)
    assert set(alerts) == DATA_QUALITY_ALERTS and all(a["AlertStatus"] == "OK" for a in alerts.values()), alerts
    assert sm.list_monitoring_alert_history(MonitoringScheduleName=schedule)["MonitoringAlertHistory"] == []
    status, _, body = http_get(endpoint, f"/api/kiln/monitoring-schedules/{schedule}/metrics")
    assert status == 200 and json.loads(body)["metrics"] == {}, (status, body)
    assert sm.list_monitoring_executions(MonitoringScheduleName=schedule)["MonitoringExecutionSummaries"] == []
    sm.delete_monitoring_schedule(MonitoringScheduleName=schedule)


if __name__ == "__main__":
    main({name: value for name, value in globals().items() if name.startswith("test_")})
