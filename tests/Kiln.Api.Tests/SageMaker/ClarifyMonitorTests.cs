using Kiln.Api.Tests.Infrastructure;

namespace Kiln.Api.Tests.SageMaker;

/// <summary>Model Monitor's ModelBias and ModelExplainability monitors, and Clarify's predictor.model_name, through boto3 (tests/clients/boto3/sagemaker_clarify_monitor.py).</summary>
public sealed class ClarifyMonitorTests(KilnServerFixture server) : IClassFixture<KilnServerFixture>
{
    [Theory]
    [InlineData("test_bias_and_explainability_monitors_analyze_captured_traffic")]
    [InlineData("test_bias_monitor_labels_traffic_sent_without_inference_ids_by_event_id")]
    [InlineData("test_bias_definition_naming_only_its_baselining_job_compares_with_that_jobs_analysis")]
    [InlineData("test_explainability_monitor_flags_feature_attributions_ranked_unlike_the_baseline")]
    [InlineData("test_bad_definitions_are_refused_and_nothing_is_stored")]
    [InlineData("test_explainability_monitor_flags_feature_attribution_drift")]
    [InlineData("test_clarify_post_training_bias_runs_predictions_through_a_named_model")]
    public Task Boto3(string test) => Infrastructure.Boto3.RunAsync(server.BaseAddress, "sagemaker_clarify_monitor.py", test, TimeSpan.FromMinutes(3));
}
