namespace WalkieTalkie.Server.IntegrationTests.Infrastructure;

public static class RepositoryPaths
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "WalkieTalkie.sln"))) return dir.FullName;
            throw new InvalidOperationException("WalkieTalkie.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
