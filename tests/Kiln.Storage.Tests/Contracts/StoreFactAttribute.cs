using Xunit.Abstractions;
using Xunit.Sdk;

namespace Kiln.Storage.Tests.Contracts;

/// <summary>
/// A contract test, the one attribute for every binding. It runs like a <see cref="FactAttribute"/> unless the binding
/// class says its store needs a service that is absent here: a <see cref="StoreServiceAttribute"/> on the class is the
/// service's probe (<c>[RequiresPostgres]</c>, <c>[RequiresS3]</c>), and then the test is reported as skipped with the
/// probe's reason. xunit 2 decides skips at discovery, so a per-binding skip needs this discoverer.
/// </summary>
[XunitTestCaseDiscoverer("Kiln.Storage.Tests.Contracts.StoreFactDiscoverer", "Kiln.Storage.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

/// <summary>
/// On a binding class: the external service its store needs. Derive one per service; <see cref="SkipReason"/> probes
/// it and says why the tests skip when it is absent (null: present).
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public abstract class StoreServiceAttribute : Attribute
{
    public abstract string? SkipReason { get; }
}

public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    private readonly IMessageSink _sink = diagnosticMessageSink;

    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var skip = testMethod.TestClass.Class.ToRuntimeType()?
            .GetCustomAttributes(typeof(StoreServiceAttribute), inherit: true).Cast<StoreServiceAttribute>()
            .Select(service => service.SkipReason).FirstOrDefault(reason => reason is not null);
        return skip is null
            ? base.Discover(discoveryOptions, testMethod, factAttribute)
            : [new SkippedStoreTestCase(_sink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, skip)];
    }
}

/// <summary>A contract test whose store's service is absent: reported as skipped with the reason.</summary>
public sealed class SkippedStoreTestCase : XunitTestCase
{
    private string _reason = "";

    [Obsolete("Called by the de-serializer; should only be called by deriving classes for de-serialization purposes")]
    public SkippedStoreTestCase()
    {
    }

    public SkippedStoreTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod testMethod, string reason)
        : base(sink, display, options, testMethod) => _reason = reason;

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        data.AddValue("StoreSkipReason", _reason);
    }

    public override void Deserialize(IXunitSerializationInfo data)
    {
        _reason = data.GetValue<string>("StoreSkipReason");
        base.Deserialize(data);
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute) => _reason;
}
