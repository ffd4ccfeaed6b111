"""Clarify online explainability through boto3: an endpoint config with a ClarifyExplainerConfig answers
invocations with SageMaker's explainer JSON, whose Kernel SHAP attributions add up to the prediction minus the
model's prediction on the baseline; EnableExplanations picks the records; bad explainer configs are refused.
Usage: python3 sagemaker_online_explain.py <endpoint_url> <test_name>
"""
import json
import uuid

from kiln_boto import client, main
import sagemaker_hosting as hosting


def churn_features():
    header, _, validation = hosting.churn_split()
    features = [name for name in header if name != "churn"]
    return features, hosting.feature_rows(validation, header)


def explainer(baseline, features, **shap):
    return {"ClarifyExplainerConfig": {
        "InferenceConfig": {"FeatureHeaders": features, "LabelHeaders": ["churn"]},
        "ShapConfig": {"ShapBaselineConfig": {"MimeType": "text/csv", "ShapBaseline": baseline}, **shap}}}


def explaining_endpoint(sm, s3, config):
    job = hosting.trained_churn_model(sm, s3)
    name = "explain-" + uuid.uuid4().hex[:8]
    sm.create_endpoint_config(EndpointConfigName=name + "-config", ExplainerConfig=config,
                              ProductionVariants=[hosting.variant("AllTraffic", hosting.create_model(sm, job))])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name + "-config")
    sm.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    return name


def invoke(runtime, name, rows, expression):
    response = runtime.invoke_endpoint(EndpointName=name, ContentType="text/csv", Accept="text/csv",
                                       Body="\n".join(hosting.csv_line(row) for row in rows), EnableExplanations=expression)
    assert response["ContentType"] == "application/json", response["ContentType"]
    answer = json.loads(response["Body"].read())
    assert answer["version"] == "1.0" and answer["predictions"]["content_type"].startswith("text/csv"), answer
    predictions = [float(line) for line in answer["predictions"]["data"].splitlines() if line.strip()]
    assert len(predictions) == len(rows), answer
    return answer, predictions


def test_attributions_add_up_and_the_expression_picks_records(endpoint):
    sm, runtime, s3 = client("sagemaker", endpoint), client("sagemaker-runtime", endpoint), client("s3", endpoint)
    features, rows = churn_features()
    baseline = hosting.csv_line(rows[0])
    config = explainer(baseline, features, NumberOfSamples=64, Seed=3)
    name = explaining_endpoint(sm, s3, config)
    described = sm.describe_endpoint_config(EndpointConfigName=name + "-config")
    assert described["ExplainerConfig"] == config, described["ExplainerConfig"]

    answer, (base,) = invoke(runtime, name, [rows[0]], "`false`")
    assert answer["explanations"] == {} and answer["label_headers"] == ["churn"], answer

    records = rows[1:7]
    answer, predictions = invoke(runtime, name, records, "`true`")
    explained = answer["explanations"]["kernel_shap"]
    assert len(explained) == len(records), answer
    for record, prediction in zip(explained, predictions):
        assert [feature["feature_header"] for feature in record] == features, record
        total = sum(feature["attributions"][0]["attribution"][0] for feature in record)
        assert abs(total - (prediction - base)) < 1e-6, (total, prediction, base)

    # Only the records scoring above the threshold are explained; the others are null.
    threshold = sorted(predictions)[len(predictions) // 2]
    answer, predictions = invoke(runtime, name, records, f"[0]>`{threshold}`")
    chosen = [entry is not None for entry in answer["explanations"]["kernel_shap"]]
    assert chosen == [p > threshold for p in predictions] and any(chosen) and not all(chosen), (chosen, predictions, threshold)

    answer, _ = invoke(runtime, name, records, "`false`")
    assert answer["explanations"] == {}, answer
    hosting.expect_error(lambda: invoke(runtime, name, records, "max(@)"), "ValidationError", 400, "EnableExplanations")


def test_bad_explainer_configs_are_refused_and_nothing_is_stored(endpoint):
    sm, s3 = client("sagemaker", endpoint), client("s3", endpoint)
    unchecked = client("sagemaker", endpoint, parameter_validation=False)
    features, rows = churn_features()
    model = hosting.create_model(sm, hosting.trained_churn_model(sm, s3))
    baseline = hosting.csv_line(rows[0])
    cases = [
        (explainer("1,2,3", features), "3 columns"),
        (explainer(baseline + "\n1,2", features), "same number of columns"),
        ({"ClarifyExplainerConfig": {"ShapConfig": {"ShapBaselineConfig": {"MimeType": "text/csv"}}}}, "ShapBaseline"),
        (explainer(baseline, features, NumberOfSamples=0), "greater than or equal to 1"),
        (explainer(baseline, features, NumberOfSamples=50_000_000), "NumberOfSamples"),
        (explainer(baseline, features, TextConfig={"Language": "en", "Granularity": "token"}), "TextConfig"),
        ({"ClarifyExplainerConfig": {**explainer(baseline, features)["ClarifyExplainerConfig"], "EnableExplanations": "[0] >"}}, "EnableExplanations"),
    ]
    for config, mentioned in cases:
        name = "bad-explain-" + uuid.uuid4().hex[:8]
        hosting.expect_error(lambda: unchecked.create_endpoint_config(
            EndpointConfigName=name, ExplainerConfig=config, ProductionVariants=[hosting.variant("AllTraffic", model)]),
            "ValidationException", 400, mentioned)
        hosting.expect_error(lambda: sm.describe_endpoint_config(EndpointConfigName=name), "ValidationException", 400)

    # An endpoint without an explainer refuses EnableExplanations, as SageMaker does.
    plain = hosting.deploy(sm, [hosting.variant("AllTraffic", model)])
    runtime = client("sagemaker-runtime", endpoint)
    hosting.expect_error(lambda: runtime.invoke_endpoint(EndpointName=plain, ContentType="text/csv", Body=baseline, EnableExplanations="`true`"),
                         "ValidationError", 400, "ClarifyExplainerConfig")


if __name__ == "__main__":
    main({name: value for name, value in globals().items() if name.startswith("test_")})
