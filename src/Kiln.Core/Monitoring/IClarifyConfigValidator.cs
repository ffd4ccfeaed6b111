namespace Kiln.Core.Monitoring;

/// <summary>
/// Checks a ModelBias or ModelExplainability monitor's analysis_config.json before the definition is stored
/// (implemented next to Clarify's parser, which Kiln.Core does not reference). Throws a KilnException
/// (InvalidParameter) that says what is wrong.
/// </summary>
public interface IClarifyConfigValidator
{
    void Validate(string monitoringType, string endpointName, string analysisConfigJson);
}
