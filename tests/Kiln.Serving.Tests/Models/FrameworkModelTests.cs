using Kiln.Core.Common;
using Kiln.Core.Serving;
using Kiln.Serving.Models.Python;

namespace Kiln.Serving.Tests.Models;

/// <summary>Which models are framework models, and what their container's environment says.</summary>
public sealed class FrameworkModelTests : IDisposable
{
    private const string Sklearn = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3";
    private const string XGBoost = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1";
    private readonly string _directory = Directory.CreateTempSubdirectory("kiln-framework-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void A_framework_image_with_the_sdk_environment_is_a_framework_model()
    {
        var framework = FrameworkModel.Detect(Model(Sklearn, new()
        {
            ["SAGEMAKER_PROGRAM"] = "train.py",
            ["SAGEMAKER_SUBMIT_DIRECTORY"] = "s3://bucket/job/source/sourcedir.tar.gz",
            ["SAGEMAKER_CONTAINER_LOG_LEVEL"] = "20",
            ["SAGEMAKER_REGION"] = "us-east-1",
        }), _directory);

        Assert.NotNull(framework);
        Assert.Equal("train.py", framework.Program);
        Assert.False(framework.CodeInModelData);
        Assert.Equal(1, framework.Workers);
        Assert.Equal(TimeSpan.FromSeconds(60), framework.Timeout);
    }

    [Fact]
    public void Built_in_images_and_plain_models_are_not_framework_models()
    {
        Assert.Null(FrameworkModel.Detect(Model(XGBoost, []), _directory));
        Assert.Null(FrameworkModel.Detect(Model("kiln/onnx", []), _directory));
        Assert.Null(FrameworkModel.Detect(Model(null, []), _directory));
    }

    [Fact]
    public void An_onnx_model_made_with_a_framework_image_and_no_handlers_is_served_natively()
    {
        Assert.NotNull(FrameworkModel.Detect(Model(Sklearn, []), _directory));

        File.WriteAllBytes(Path.Combine(_directory, "model.onnx"), [8, 1]);
        Assert.Null(FrameworkModel.Detect(Model(Sklearn, []), _directory));
        Assert.NotNull(FrameworkModel.Detect(Model(Sklearn, new() { ["SAGEMAKER_PROGRAM"] = "serve.py" }), _directory));
    }

    [Fact]
    public void Any_image_with_a_program_or_a_packaged_inference_script_is_one()
    {
        Assert.Equal("serve.py", FrameworkModel.Detect(Model(XGBoost, new() { ["SAGEMAKER_PROGRAM"] = "serve.py" }), _directory)?.Program);

        Directory.CreateDirectory(Path.Combine(_directory, "code"));
        File.WriteAllText(Path.Combine(_directory, "code", "inference.py"), "def model_fn(d):\n    return d\n");
        var packaged = FrameworkModel.Detect(Model("my-image", []), _directory);
        Assert.NotNull(packaged);
        Assert.Equal("inference.py", packaged.Program);
        Assert.True(packaged.CodeInModelData);
        Assert.Equal(Path.Combine(_directory, "code"), packaged.PackagedCodeDirectory(_directory));
    }

    [Fact]
    public void Opt_ml_model_paths_map_into_the_model_folder()
    {
        var framework = FrameworkModel.Detect(Model(Sklearn, new() { ["SAGEMAKER_SUBMIT_DIRECTORY"] = "/opt/ml/model/src", ["SAGEMAKER_MODEL_SERVER_WORKERS"] = "3", ["SAGEMAKER_MODEL_SERVER_TIMEOUT"] = "5" }), _directory);

        Assert.NotNull(framework);
        Assert.True(framework.CodeInModelData);
        Assert.Equal(Path.Combine(_directory, "src"), framework.PackagedCodeDirectory(_directory));
        Assert.Equal(3, framework.Workers);
        Assert.Equal(TimeSpan.FromSeconds(5), framework.Timeout);
    }

    [Theory]
    [InlineData("SAGEMAKER_MODEL_SERVER_WORKERS", "0")]
    [InlineData("SAGEMAKER_MODEL_SERVER_WORKERS", "two")]
    [InlineData("SAGEMAKER_MODEL_SERVER_TIMEOUT", "-1")]
    [InlineData("SAGEMAKER_MODEL_SERVER_TIMEOUT", "1.5")]
    public void Bad_worker_settings_are_refused_with_their_name(string variable, string value)
    {
        var e = Assert.Throws<KilnException>(() => FrameworkModel.Detect(Model(Sklearn, new() { [variable] = value }), _directory));
        Assert.Equal(ErrorCode.InvalidParameterValue, e.Code);
        Assert.Contains(variable, e.Message, StringComparison.Ordinal);
    }

    private static HostedModel Model(string? image, Dictionary<string, string> environment) =>
        new("m", image, "s3://bucket/model.tar.gz", environment, null, DateTimeOffset.UnixEpoch, []);
}
