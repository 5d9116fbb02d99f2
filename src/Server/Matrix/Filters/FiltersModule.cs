namespace WalkieTalkie.Server.Matrix.Filters;

/// <summary>Spec section "Filtering": upload and download filters; /sync resolves them with <see cref="SyncFilter.ResolveAsync"/>.</summary>
public static class FiltersModule
{
    public static void MapFilters(this RouteGroupBuilder v3)
    {
        v3.MapDefineFilter();
        v3.MapGetFilter();
    }
}
