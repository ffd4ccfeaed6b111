using Kiln.Core.Common;

namespace Kiln.Core.Processing;

public interface IProcessingJobStore : IResourceStore<ProcessingJob>;
