import type { VenueId } from '../../domain/venue-config.js';
import { binanceAdapter } from './binance.js';
import { coinbaseAdapter } from './coinbase.js';
import type { VenueAdapter } from './common.js';
import { intxAdapter } from './intx.js';

export function adapterFor(venue: VenueId): VenueAdapter {
  switch (venue) {
    case 'coinbase':
      return coinbaseAdapter();
    case 'coinbase-intx':
      return intxAdapter();
    case 'binance-usdm':
    case 'binance-spot':
      return binanceAdapter(venue);
  }
}
