using Kiln.Core.Training;
using Kiln.Training.Algorithms;

namespace Kiln.Training.Tests.Algorithms;

public sealed class AlgorithmCatalogTests
{
    [Theory]
    [InlineData("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1", "xgboost")]
    [InlineData("xgboost", "xgboost")]
    [InlineData("some.registry/xgboost@sha256:abc", "xgboost")]
    public void Finds_algorithms_by_image_repository(string image, string expected) =>
        Assert.Equal(expected, new AlgorithmCatalog().Find(image)?.Name);

    [Theory]
    [InlineData("123.dkr.ecr.us-east-1.amazonaws.com/not-an-algorithm:1")]
    [InlineData("")]
    public void Unknown_images_are_not_found(string image) => Assert.Null(new AlgorithmCatalog().Find(image));

    [Fact]
    public void The_catalog_refuses_unknown_algorithms_with_a_validation_error()
    {
        var catalog = new TrainerCatalog([new AlgorithmCatalog()]);
        var spec = new TrainingJobSpec { Name = "x", OutputPath = "s3://b/o", TrainingImage = "x/unknown:1" };
        Assert.Throws<TrainingValidationException>(() => catalog.Resolve(spec));
        Assert.NotNull(catalog.Resolve(spec with { TrainingImage = "x/sagemaker-xgboost:1.7-1" }));
    }
}
