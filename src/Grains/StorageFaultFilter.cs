using Fruits.Grains.Interfaces;
using Fruits.Pipeline.Storage;

namespace Fruits.Grains;

/// <summary>
/// Turns the pipeline's <see cref="StorageException"/> into the contract's <see cref="StorageFaultException"/> as it
/// leaves any grain. The pipeline knows nothing of Orleans, so its exception has no wire form and would reach a caller
/// on another silo without <see cref="StorageException.IsTransient"/>; one filter keeps every grain from repeating
/// the translation.
/// </summary>
public sealed class StorageFaultFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (StorageException e)
        {
            throw e.ToContract();
        }
    }
}
