using Kiln.Core.Common;

namespace Kiln.Core.AutoML;

public interface IAutoMLJobStore : IResourceStore<AutoMLJob>;
