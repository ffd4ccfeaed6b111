using Kiln.Core.Common;

namespace Kiln.Core.Transform;

public interface ITransformJobStore : IResourceStore<TransformJob>;
