using System.Net;
using System.Text;
using System.Text.Json;
using System.Xml;
using Kiln.Api.S3;
using Kiln.Fuzz.Tests.Infrastructure;
using Kiln.Fuzz.Tests.Parsers;
using Kiln.Pipelines.Definition;
using Kiln.Pipelines.Expressions;

namespace Kiln.Fuzz.Tests;

/// <summary>The shrunk inputs of bugs the fuzzing found, each with the refusal the service gives now.</summary>
public class RegressionTests(FuzzServer server) : IClassFixture<FuzzServer>
{
    private const string Role = "arn:aws:iam::123456789012:role/KilnFuzz";

    private static string Definition(string firstStepExtra, string conditions = """[{"Type":"Equals","LeftValue":1,"RightValue":1}]""", string arguments = "{}") => $$$"""
        {"Version":"2020-12-01","Parameters":[{"Name":"Input","Type":"String","DefaultValue":"s3://b/k"}],
         "Steps":[{"Name":"Train","Type":"Training","Arguments":{{{arguments}}}{{{firstStepExtra}}}},
                  {"Name":"Check","Type":"Condition","Arguments":{"Conditions":{{{conditions}}},"IfSteps":[],"ElseSteps":[]}}]}
        """;

    [Theory]
    [InlineData(""","CacheConfig":[]""", "CacheConfig must be a JSON object")]
    [InlineData(""","RetryPolicies":["x"]""", "RetryPolicies[0] must be a JSON object")]
    [InlineData(""","RetryPolicies":[{"ExceptionType":[1]}]""", "ExceptionType[0] must be a string")]
    [InlineData(""","RetryPolicies":[{"ExceptionType":["Step.THROTTLING"],"MaxAttempts":1e400}]""", "MaxAttempts must be a finite number")]
    public void Malformed_step_settings_are_definition_errors(string extra, string message)
    {
        var error = Assert.Throws<PipelineDefinitionException>(() => DefinitionParser.Parse(Definition(extra)));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Std_Join_that_is_not_an_object_with_values_is_a_definition_error()
    {
        var operations = new PipelineFuzzTests.Operations();
        var error = Assert.Throws<PipelineDefinitionException>(() => DefinitionValidator.ParseAndValidate(Definition("", arguments: """{"Path":{"Std:Join":"x"}}"""), operations));
        Assert.Contains("Std:Join needs Values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_Or_condition_whose_conditions_are_not_a_list_is_a_definition_error()
    {
        var definition = DefinitionParser.Parse(Definition("", """[{"Type":"Or","Conditions":"x"}]"""));
        var error = Assert.Throws<PipelineDefinitionException>(() => Conditions.Check(definition.Steps[1].Arguments.GetProperty("Conditions")[0], "Steps[1].Arguments.Conditions[0]"));
        Assert.Contains("Conditions must be a list", error.Message, StringComparison.Ordinal);
    }

    private sealed class Scope : IEvaluationScope
    {
        public JsonElement Parameter(string name) => JsonSerializer.SerializeToElement("s3://b/k");

        public JsonElement? Execution(string variable) => null;

        public JsonElement StepProperties(string step) => throw new EvaluationException("no steps");

        public JsonElement PropertyFile(string step, string file) => throw new EvaluationException("no files");
    }

    [Fact]
    public void An_In_condition_whose_values_are_not_a_list_fails_evaluation_with_its_reason()
    {
        var condition = JsonDocument.Parse("""{"Type":"In","QueryValue":"a","Values":{"Get":"Parameters.Input"}}""").RootElement;
        var error = Assert.Throws<EvaluationException>(() => Conditions.Evaluate(condition, new Scope()));
        Assert.Contains("must be a list", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreatePipeline_with_a_malformed_cache_config_is_a_validation_exception()
    {
        var (status, body) = server.SageMaker("CreatePipeline", JsonSerializer.Serialize(new { PipelineName = "bad-cache", PipelineDefinition = Definition(""","CacheConfig":[]"""), RoleArn = Role }));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("ValidationException", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<Delete><Object><VersionId>1</VersionId></Object></Delete>", "each Object needs a Key")]
    [InlineData("<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaa\">]><Delete><Object><Key>&a;</Key></Object></Delete>", "DTD")]
    public void Malformed_delete_documents_are_malformed_xml(string xml, string message)
    {
        var error = Assert.Throws<XmlException>(() => S3RequestBodies.ReadDelete(S3BodyFuzzTests.Load(Encoding.UTF8.GetBytes(xml))));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void More_than_a_thousand_keys_are_malformed_xml()
    {
        var xml = "<Delete>" + Mutations.Repeat("<Object><Key>k</Key></Object>", 1001) + "</Delete>";
        Assert.Throws<XmlException>(() => S3RequestBodies.ReadDelete(S3BodyFuzzTests.Load(Encoding.UTF8.GetBytes(xml))));
    }

    [Fact]
    public void Deep_nesting_is_refused_quickly_and_without_building_the_tree()
    {
        var xml = "<Delete>" + Mutations.Repeat("<Object>", 50_000) + Mutations.Repeat("</Object>", 50_000) + "</Delete>";
        var body = Encoding.UTF8.GetBytes(xml);
        Fuzzing.Once(body, body.Length, input => S3RequestBodies.ReadDelete(S3BodyFuzzTests.Load(input)), e => e is XmlException { Message: var m } && m.Contains("nested", StringComparison.Ordinal));
        Assert.Throws<XmlException>(() => S3BodyFuzzTests.Load(body));
    }

    [Fact]
    public void DeleteObjects_with_a_control_character_answers_MalformedXML_instead_of_failing_to_write_the_error()
    {
        Assert.Equal(HttpStatusCode.OK, server.S3(HttpMethod.Put, "control-bucket").Status);
        var (status, body) = server.S3(HttpMethod.Post, "control-bucket?delete", new ByteArrayContent(Convert.FromBase64String("GcOuMFTDpm/Cgw==")));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("<Code>MalformedXML</Code>", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("99999999999999999999")]
    [InlineData("-1e300")]
    public void A_list_filter_timestamp_outside_the_calendar_is_a_serialization_exception(string time)
    {
        var (status, body) = server.SageMaker("ListTransformJobs", $$"""{"CreationTimeAfter":{{time}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("SerializationException", body, StringComparison.Ordinal);
    }

    [Fact]
    public void DeleteObjects_with_an_object_without_a_key_is_malformed_xml_and_deletes_nothing()
    {
        Assert.Equal(HttpStatusCode.OK, server.S3(HttpMethod.Put, "regression-bucket").Status);
        Assert.Equal(HttpStatusCode.OK, server.S3(HttpMethod.Put, "regression-bucket/k", new StringContent("v")).Status);
        var (status, body) = server.S3(HttpMethod.Post, "regression-bucket?delete", new StringContent("<Delete><Object><Key>k</Key></Object><Object/></Delete>"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("<Code>MalformedXML</Code>", body, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.OK, "v"), server.S3(HttpMethod.Get, "regression-bucket/k"));
    }
}
