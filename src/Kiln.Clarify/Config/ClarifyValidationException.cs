namespace Kiln.Clarify.Config;

/// <summary>
/// The analysis configuration or the dataset cannot be analysed as asked (malformed JSON, unknown method,
/// a facet or label column missing from the data...). The API answers it as a ValidationException.
/// </summary>
public sealed class ClarifyValidationException(string message) : Exception(message);
