using Kiln.Core.Common;

namespace Kiln.Core.Tuning;

public interface ITuningJobStore : IResourceStore<TuningJob>;
