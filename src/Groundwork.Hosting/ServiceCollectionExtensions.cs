using Microsoft.Extensions.DependencyInjection;

namespace Groundwork.Hosting;

/// <summary>Registers Groundwork in a dependency-injection container.</summary>
public static class GroundworkServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="GroundworkOptions"/> and a lazily opened singleton <see cref="GroundworkWorkspace"/>
    /// (resolve <c>Task&lt;GroundworkWorkspace&gt;</c> and await it).
    /// </summary>
    public static IServiceCollection AddGroundwork(this IServiceCollection services, Func<GroundworkOptions, GroundworkOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = configure?.Invoke(new GroundworkOptions()) ?? new GroundworkOptions();
        services.AddSingleton(options);
        services.AddSingleton(sp => GroundworkWorkspace.OpenAsync(sp.GetRequiredService<GroundworkOptions>()));
        return services;
    }
}
