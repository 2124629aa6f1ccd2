from .orders import Allocation, Order, OrderEvent, OrderLine

__all__ = ["Allocation", "Order", "OrderEvent", "OrderLine"]
