namespace Kiln.Api.SageMaker.Generated;

// Generated List*Jobs requests join the paging every job list shares (JobListing).

internal sealed partial record ListProcessingJobsRequest : IJobListRequest;
