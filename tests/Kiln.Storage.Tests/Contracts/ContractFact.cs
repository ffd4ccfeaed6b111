using Kiln.Storage.Tests.Artifacts;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>
/// A contract test: it runs in every binding, and is skipped in a binding marked <see cref="RequiresS3Attribute"/>
/// where no S3-compatible server is available (xunit 2 decides skips at discovery, per test class only this way).
/// </summary>
[XunitTestCaseDiscoverer("Kiln.Storage.Tests.Contracts.ContractFactDiscoverer", "Kiln.Storage.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class ContractFactAttribute : FactAttribute;

/// <summary>Marks a contract binding that needs <see cref="S3TestServer"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresS3Attribute : Attribute;

public sealed class ContractFactDiscoverer(IMessageSink diagnosticMessageSink) : IXunitTestCaseDiscoverer
{
    public IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var skip = testMethod.TestClass.Class.GetCustomAttributes(typeof(RequiresS3Attribute)).Any() ? S3TestServer.SkipReason : null;
        yield return new ContractTestCase(diagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, skip);
    }
}

/// <summary>A fact whose skip reason comes from its binding, not from its attribute.</summary>
public sealed class ContractTestCase : XunitTestCase
{
    private string? _skipReason;

    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public ContractTestCase()
    {
    }

    public ContractTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod testMethod, string? skipReason)
        : base(sink, display, options, testMethod) => _skipReason = skipReason;

    protected override string? GetSkipReason(IAttributeInfo factAttribute) => _skipReason ?? base.GetSkipReason(factAttribute);

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        data.AddValue("ContractSkipReason", _skipReason);
    }

    public override void Deserialize(IXunitSerializationInfo data)
    {
        _skipReason = data.GetValue<string?>("ContractSkipReason");
        base.Deserialize(data);
    }
}
